import { foldWith, type Decider, type RecordedEvent } from '@orrery/domain';
import { decodeEventRow, type EventRow } from '@orrery/event-store';
import type { ApiDeps } from '../deps.js';

/** A read model that holds a snapshot of each stream of a kind: jobs or endpoints. */
export type SnapshotTable =
  | { readonly table: 'jobs'; readonly id: 'job_id' }
  | { readonly table: 'schedule'; readonly id: 'endpoint_id' };

/** A stream at its head: the state folded and the events read to get there. */
export interface StreamHead<State> {
  readonly state: State;
  /**
   * The events read, oldest first: those after the snapshot (the whole stream when there is no
   * usable one), and with `window` the stream's last `window` events too.
   */
  readonly events: readonly RecordedEvent[];
}

/** The snapshot row has `state` and no position; every other row is an event of the stream. */
export type HeadRow = EventRow & { readonly state: unknown };

/**
 * The statement: $1 tenant, $2 id, $3 the decider's state version, $4 the stream, [$5 window].
 * The snapshot row sorts before the events after it (`position` is null only there).
 *
 * The events after the snapshot name their stream as `(select $4::text)`, a value the planner
 * does not see: it then estimates a stream as a small part of the log (event-store migration
 * 0009) and reads the tail by the (stream_id, stream_version) index. Seen as a constant, a stream
 * that dominates the table's statistics (one endpoint with a million events) was estimated at a
 * third of its rows — the snapshot's version is not known when planning — and read by a
 * sequential scan of the whole log: 125–310 ms for a few events, on every connection's first
 * executions of the statement (the bench's commands phase on PostgreSQL 18).
 */
const statement = ({ table, id }: SnapshotTable, window: boolean): string => {
  const after = window
    ? `least(coalesce((select stream_version from snapshot), 0),
        (select coalesce(max(stream_version), 0) from events where stream_id = $4) - $5::int)`
    : 'coalesce((select stream_version from snapshot), 0)';
  return `with snapshot as (
      select state, stream_version from ${table}
      where tenant_id = $1 and ${id} = $2 and state_version = $3
    )
    select state, stream_version, null::bigint as position, null::text as stream_id,
      null::text as type, null::int as type_version, null::jsonb as data, null::jsonb as metadata,
      null::text as tenant_id, null::timestamptz as recorded_at, null::text as idempotency_key
    from snapshot
    union all
    select null, stream_version, position, stream_id, type, type_version, data, metadata,
      tenant_id, recorded_at, idempotency_key
    from events
    where stream_id = (select $4::text) and stream_version > ${after}
    order by stream_version, position nulls first`;
};

/**
 * A stream's state at its head in ONE statement: the read model's snapshot (when it holds one of
 * the decider's state version) and the stream's events after it, read in the same database
 * snapshot, folded here. A read therefore sees every event committed before it started, also
 * those the projection has not applied yet (read-your-writes).
 *
 * Why one prepared statement rather than the snapshot then the tail (two statements planned on
 * every call): every single read of the API starts here. Measured with
 * `scripts/bench/api/cost.ts` and the API phase of `npm run bench -- --only api`, on 2 loaded
 * cores: unprepared, the one statement costs Postgres as much as the two it replaces (its
 * planning is most of it; it saves this process a round trip); prepared, about half (0.16 ms
 * against 0.36 ms of wall time per read, sequential, on a loaded machine).
 *
 * `window` also reads the stream's last `window` events when the snapshot is closer to the head
 * than that (the recent decisions of `explain`), without a second statement.
 */
export async function readStreamHead<State extends { readonly version: number }, Command>(
  pool: ApiDeps['pool'],
  source: SnapshotTable,
  decider: Decider<State, Command>,
  key: { tenantId: string; id: string; streamId: string },
  window = 0,
): Promise<StreamHead<State>> {
  const { tenantId, id, streamId } = key;
  const { rows } = await pool.query<HeadRow>({
    name: `orrery-api-head-${source.table}${window > 0 ? '-window' : ''}`,
    text: statement(source, window > 0),
    values: [tenantId, id, decider.stateVersion, streamId, ...(window > 0 ? [window] : [])],
  });
  return foldHead(decider, rows);
}

/**
 * One stream's rows of a head statement (its snapshot row, if any, then its events in stream
 * order), folded: the snapshot's state and the events after it.
 */
export function foldHead<State extends { readonly version: number }, Command>(
  decider: Decider<State, Command>,
  rows: readonly HeadRow[],
): StreamHead<State> {
  const snapshot = rows.find((row) => row.position === null);
  const from: State = snapshot
    ? { ...(snapshot.state as State), version: snapshot.stream_version }
    : decider.initialState();
  const events = rows.filter((row) => row.position !== null).map(decodeEventRow);
  const tail = events.filter((event) => event.streamVersion > from.version);
  return { state: foldWith(decider, tail, from), events };
}
