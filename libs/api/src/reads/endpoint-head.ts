import {
  endpointDecider,
  endpointStream,
  jobDecider,
  jobStream,
  type EndpointState,
  type JobState,
  type RecordedEvent,
} from '@orrery/domain';
import type { ApiDeps } from '../deps.js';
import type { ParkedView } from './endpoints.js';
import { foldHead, type HeadRow } from './stream-head.js';

/** An endpoint at the head of its stream, with its job at the head of its own. */
export interface EndpointHead {
  readonly state: EndpointState;
  /** The endpoint's events read (see `StreamHead.events`). */
  readonly events: readonly RecordedEvent[];
  /** The endpoint's job; null when the endpoint or its job is not registered. */
  readonly job: JobState | null;
  /** The endpoint's parked streams, by processor (empty unless asked for). */
  readonly parked: readonly ParkedView[];
}

/** A row of `parked_streams`, as much of it as the API shows. */
export interface ParkedRow {
  readonly processor: string;
  readonly error: string;
  readonly parked_at: Date;
  /** A bigint: pg reads it as a string. */
  readonly position: number | string;
}

/** A row of the statement: of the endpoint's stream, of its job's, or one of its parked rows. */
type Row =
  (HeadRow & { readonly part: 'endpoint' | 'job' }) | (ParkedRow & { readonly part: 'parked' });

// Every branch of the union returns these columns, in this order:
//   part, state, stream_version, stream_id, position, type, type_version, data, metadata,
//   tenant_id, recorded_at, idempotency_key, processor, error, parked_at
const EVENT = `stream_version, stream_id, position, type, type_version, data, metadata,
      tenant_id, recorded_at, idempotency_key, null, null, null`;
const SNAPSHOT = `null::bigint as position, null::text as type, null::int as type_version,
      null::jsonb as data, null::jsonb as metadata, null::text as tenant_id,
      null::timestamptz as recorded_at, null::text as idempotency_key,
      null::text as processor, null::text as error, null::timestamptz as parked_at`;

/**
 * The statement: $1 tenant, $2 endpoint id, $3 and $4 the endpoint's state version and stream,
 * $5 the job's state version, $6 the tenant's job stream prefix (`jobStream(tenant, '')`),
 * [$7 window]. Each stream's head is read as `stream-head.ts` reads one: its snapshot row (no
 * position) sorts before its events.
 *
 * The job is the one the endpoint's registration names: an endpoint's stream starts with its
 * `EndpointRegistered` (every other command on an unregistered endpoint is refused), `jobId` is
 * set by that event alone and registering again in another job is refused, so the stream's first
 * event names the job for good. It is read by `events_stream_version_key` (filtering on `type`
 * first would let the planner scan `events_job_endpoints_idx`, whose first column is the tenant).
 * The caller checks that the fold agrees.
 *
 * The endpoint's events after its snapshot name the stream as `(select $4::text)`, hidden from
 * the planner, as `stream-head.ts` explains; the job's stream is hidden already (read from the
 * endpoint's first event). Both are then estimated as small parts of the log (event-store
 * migration 0009) and read by the index.
 */
const statement = ({ window, parked }: { window: boolean; parked: boolean }): string => {
  const after = window
    ? `least(coalesce((select stream_version from endpoint_snapshot), 0),
        (select coalesce(max(stream_version), 0) from events where stream_id = $4) - $7::int)`
    : 'coalesce((select stream_version from endpoint_snapshot), 0)';
  const parkedRows = `union all
    select 'parked', null, null, stream_id, position, null, null, null, null, null, null, null,
      processor, error, parked_at
    from parked_streams where stream_id = $4`;
  return `with endpoint_snapshot as (
      select state, stream_version from schedule
      where tenant_id = $1 and endpoint_id = $2 and state_version = $3
    ),
    job as (
      select data->>'jobId' as job_id, $6::text || (data->>'jobId') as stream_id
      from (select type, data from events where stream_id = $4 order by stream_version limit 1) e
      where type = 'EndpointRegistered'
    ),
    job_snapshot as (
      select state, stream_version from jobs
      where tenant_id = $1 and job_id = (select job_id from job) and state_version = $5
    )
    select 'endpoint' as part, state, stream_version, $4::text as stream_id, ${SNAPSHOT}
    from endpoint_snapshot
    union all
    select 'endpoint', null, ${EVENT}
    from events where stream_id = (select $4::text) and stream_version > ${after}
    union all
    select 'job', state, stream_version, (select stream_id from job), ${SNAPSHOT}
    from job_snapshot
    union all
    select 'job', null, ${EVENT}
    from events where stream_id = (select stream_id from job)
      and stream_version > coalesce((select stream_version from job_snapshot), 0)
    ${parked ? parkedRows : ''}
    order by part, processor, stream_version, position nulls first`;
};

/**
 * An endpoint and its job, each as of the head of its stream, and with `parked` the endpoint's
 * parked streams, in ONE statement from one database snapshot: like `readStreamHead`, a read sees
 * every event committed before it started (read-your-writes), for the job too.
 *
 * Why one statement rather than the endpoint's head, then its job's head once the endpoint names
 * it, beside its parked streams (three statements over two round trips, the parked one planned on
 * every call): `GET /v1/endpoints/{id}` and explain read exactly these, and each statement costs a
 * round trip, this process's pg client work and Postgres's per-statement work (bind, snapshot,
 * executor start). Measured with `scripts/bench/api/cost.ts` (10 in flight, 2 loaded cores, the
 * old reads alternated with this one; the 0.3 left is the API key check's round trip):
 * `GET /v1/endpoints/{id}` 3.4 → 1.3 statements, 510–620 → 395 µs of this process's CPU and
 * 230–350 → 160–180 µs of Postgres's per request; explain 2.4 → 1.3 statements, CPU within noise
 * (its two statements were prepared already; building the explanation is most of its cost).
 *
 * `window` reads the endpoint's last `window` events too, as `readStreamHead` does.
 */
export async function readEndpointWithJob(
  pool: ApiDeps['pool'],
  tenantId: string,
  endpointId: string,
  { window = 0, parked = false }: { window?: number; parked?: boolean } = {},
): Promise<EndpointHead> {
  const { rows } = await pool.query<Row>({
    name: `orrery-api-endpoint-head${window > 0 ? '-window' : ''}${parked ? '-parked' : ''}`,
    text: statement({ window: window > 0, parked }),
    values: [
      tenantId,
      endpointId,
      endpointDecider.stateVersion,
      endpointStream(tenantId, endpointId),
      jobDecider.stateVersion,
      jobStream(tenantId, ''),
      ...(window > 0 ? [window] : []),
    ],
  });
  const heads: Record<'endpoint' | 'job', HeadRow[]> = { endpoint: [], job: [] };
  const parkedRows: ParkedRow[] = [];
  for (const row of rows) {
    if (row.part === 'parked') parkedRows.push(row);
    else heads[row.part].push(row);
  }
  const { state, events } = foldHead(endpointDecider, heads.endpoint);
  let job: JobState | null = null;
  if (state.status !== 'unregistered') {
    const stream = jobStream(tenantId, state.jobId);
    if (heads.job.some((row) => row.stream_id !== stream)) {
      throw new Error(`endpoint ${endpointId}: its first registration names another job`);
    }
    const folded = foldHead(jobDecider, heads.job).state;
    job = folded.status === 'unregistered' ? null : folded;
  }
  return { state, events, job, parked: parkedRows.map(parkedView) };
}

/** A parked stream as the API shows it. */
export const parkedView = (row: ParkedRow): ParkedView => ({
  processor: row.processor,
  error: row.error,
  since: new Date(row.parked_at).toISOString(),
  position: Number(row.position),
});
