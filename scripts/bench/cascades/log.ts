/**
 * What the cascades phase reads back from the event log, after the fact: every time is an
 * event's `recorded_at` (the database clock at insert) or an instant the pipeline wrote into an
 * event's data (Node's clock on the same machine): `triggeredAt` when the cascade processor
 * decided, `dispatchedAt` when the dispatcher claimed, `startedAt` when the executor's HTTP call
 * began. Times come back as epoch milliseconds (fractional: recorded_at holds microseconds).
 */
import type { Runtime } from '@orrery/scheduling';
import { sql, type RawBuilder } from 'kysely';

const epochMs = (expr: RawBuilder<unknown>) => sql`extract(epoch from ${expr}) * 1000`;

/** One hop of a cascade: an upstream's response → the downstream's call. */
export interface HopRow {
  /** The downstream's depth in its chain (1 = the stage after the head). */
  readonly depth: number;
  readonly upstreamRecorded: number;
  readonly triggered: number;
  readonly triggerRecorded: number;
  readonly dispatched: number | null;
  readonly dispatchRecorded: number | null;
  readonly callStarted: number | null;
}

/**
 * The hops whose upstream `ResponseRecorded` was recorded in [from, to): each `CascadeTriggered`
 * names the upstream response it used (its log position), and its `cascadeId` is the run id of
 * the downstream's `RunDispatched` and `ResponseRecorded` (first of each, by position).
 */
export async function readHops(runtime: Runtime, from: number, to: number): Promise<HopRow[]> {
  const { rows } = await sql<{
    depth: number;
    up: number;
    triggered: number;
    trig: number;
    dispatched: number | null;
    disp: number | null;
    started: number | null;
  }>`
    with trig as (
      select stream_id, recorded_at, data->>'cascadeId' as run_id,
        (data->>'triggeredAt')::timestamptz as triggered_at,
        (data->'inputs'->0->'response'->>'position')::bigint as up_position,
        (data->'cascade'->>'depth')::int as depth
      from events where type = 'CascadeTriggered'
    ), disp as (
      select distinct on (stream_id, data->>'runId') stream_id, data->>'runId' as run_id,
        recorded_at, (data->>'dispatchedAt')::timestamptz as dispatched_at
      from events where type = 'RunDispatched' and data ? 'cascade'
      order by stream_id, data->>'runId', position
    ), resp as (
      select distinct on (stream_id, data->>'runId') stream_id, data->>'runId' as run_id,
        (data->>'startedAt')::timestamptz as started_at
      from events where type = 'ResponseRecorded' and data ? 'cascade'
      order by stream_id, data->>'runId', position
    )
    select trig.depth, ${epochMs(sql`up.recorded_at`)} as up,
      ${epochMs(sql`trig.triggered_at`)} as triggered, ${epochMs(sql`trig.recorded_at`)} as trig,
      ${epochMs(sql`disp.dispatched_at`)} as dispatched, ${epochMs(sql`disp.recorded_at`)} as disp,
      ${epochMs(sql`resp.started_at`)} as started
    from trig /* bench */
    join events up on up.position = trig.up_position
    left join disp on disp.stream_id = trig.stream_id and disp.run_id = trig.run_id
    left join resp on resp.stream_id = trig.stream_id and resp.run_id = trig.run_id
    where up.recorded_at >= ${new Date(from)} and up.recorded_at < ${new Date(to)}`.execute(
    runtime.db,
  );
  return rows.map((r) => ({
    depth: r.depth,
    upstreamRecorded: Number(r.up),
    triggered: Number(r.triggered),
    triggerRecorded: Number(r.trig),
    dispatched: r.dispatched === null ? null : Number(r.dispatched),
    dispatchRecorded: r.disp === null ? null : Number(r.disp),
    callStarted: r.started === null ? null : Number(r.started),
  }));
}

/** A head's scheduled run (its first dispatch) and its call. */
export interface HeadRow {
  readonly runId: string;
  readonly slot: number;
  readonly dispatched: number;
  readonly dispatchRecorded: number;
  readonly callStarted: number | null;
}

/** The heads' runs whose slot falls in [from, to): runs of their own schedule (no cascade). */
export async function readHeads(runtime: Runtime, from: number, to: number): Promise<HeadRow[]> {
  const { rows } = await sql<{
    run_id: string;
    slot: number;
    dispatched: number;
    disp: number;
    started: number | null;
  }>`
    with disp as (
      select stream_id, data->>'runId' as run_id, recorded_at,
        (data->>'scheduledFor')::timestamptz as slot,
        (data->>'dispatchedAt')::timestamptz as dispatched_at
      from events
      where type = 'RunDispatched' and not data ? 'cascade' and (data->>'attempt')::int = 1
    ), resp as (
      select distinct on (stream_id, data->>'runId') stream_id, data->>'runId' as run_id,
        (data->>'startedAt')::timestamptz as started_at
      from events where type = 'ResponseRecorded' and not data ? 'cascade'
      order by stream_id, data->>'runId', position
    )
    select disp.run_id, ${epochMs(sql`disp.slot`)} as slot,
      ${epochMs(sql`disp.dispatched_at`)} as dispatched, ${epochMs(sql`disp.recorded_at`)} as disp,
      ${epochMs(sql`resp.started_at`)} as started
    from disp /* bench */
    left join resp on resp.stream_id = disp.stream_id and resp.run_id = disp.run_id
    where disp.slot >= ${new Date(from)} and disp.slot < ${new Date(to)}`.execute(runtime.db);
  return rows.map((r) => ({
    runId: r.run_id,
    slot: Number(r.slot),
    dispatched: Number(r.dispatched),
    dispatchRecorded: Number(r.disp),
    callStarted: r.started === null ? null : Number(r.started),
  }));
}

/** How far each chain got: the deepest stage whose response is recorded, by root run id. */
export async function readDepths(runtime: Runtime): Promise<Map<string, number>> {
  const { rows } = await sql<{ root: string; depth: number }>`
    select data->'cascade'->>'root' as root, max((data->'cascade'->>'depth')::int) as depth
    from events /* bench */
    where type = 'ResponseRecorded' and data ? 'cascade'
    group by 1`.execute(runtime.db);
  return new Map(rows.map((r) => [r.root, r.depth]));
}

/** Runs of a stage for one chain, over the whole phase: each (downstream, root) should have one. */
export interface Repeats {
  /** (downstream, cascade root) pairs dispatched. */
  readonly pairs: number;
  /** Pairs with more than one `RunDispatched`. */
  readonly dispatchedTwice: number;
  /** Pairs with more than one distinct run (a stage that ran twice for one chain). */
  readonly ranTwice: number;
  /** Pairs with more than one `ResponseRecorded`. */
  readonly recordedTwice: number;
  /** Cascade runs dispatched again after a lapsed lease (attempt > 1). */
  readonly redispatched: number;
  readonly refused: number;
  readonly skipped: number;
  /** Calls whose response was not ok (any stage). */
  readonly failedCalls: number;
  /** When the phase ended: satisfied observations that fired no cascade (a chain lost here). */
  readonly observedNotFired: number;
  /** …cascades triggered but not dispatched, and dispatched but not recorded (still going). */
  readonly triggeredNotDispatched: number;
  readonly dispatchedNotRecorded: number;
}

export async function readRepeats(runtime: Runtime): Promise<Repeats> {
  const { rows } = await sql<Record<keyof Repeats, number>>`
    with dispatched as (
      select stream_id, data->'cascade'->>'root' as root, count(*)::int as n,
        count(distinct data->>'runId')::int as runs,
        count(*) filter (where (data->>'attempt')::int > 1)::int as again
      from events where type = 'RunDispatched' and data ? 'cascade'
      group by 1, 2
    ), recorded as (
      select stream_id, data->'cascade'->>'root' as root, count(*)::int as n
      from events where type = 'ResponseRecorded' and data ? 'cascade'
      group by 1, 2
    )
    select
      (select count(*)::int from dispatched) as pairs,
      (select count(*)::int from dispatched where n > 1) as "dispatchedTwice",
      (select count(*)::int from dispatched where runs > 1) as "ranTwice",
      (select count(*)::int from recorded where n > 1) as "recordedTwice",
      (select coalesce(sum(again), 0)::int from dispatched) as redispatched,
      (select count(*)::int from events where type = 'CascadeRefused') as refused,
      (select count(*)::int from events where type = 'RunSkipped') as skipped,
      (select count(*)::int from events
        where type = 'ResponseRecorded' and not (data->>'ok')::boolean) as "failedCalls",
      (select count(*)::int from events o
        where o.type = 'UpstreamObserved' and (o.data->>'satisfied')::boolean
          and not exists (select 1 from events t
            where t.stream_id = o.stream_id and t.type = 'CascadeTriggered'
              and t.data->'inputs' @> jsonb_build_array(jsonb_build_object('response',
                jsonb_build_object('position', o.data->'response'->'position')))))
        as "observedNotFired",
      (select count(*)::int from events t
        where t.type = 'CascadeTriggered' and not exists (select 1 from events d
          where d.stream_id = t.stream_id and d.type = 'RunDispatched'
            and d.data->>'runId' = t.data->>'cascadeId')) as "triggeredNotDispatched",
      (select count(*)::int from events d
        where d.type = 'RunDispatched' and not exists (select 1 from events r
          where r.stream_id = d.stream_id and r.type = 'ResponseRecorded'
            and r.data->>'runId' = d.data->>'runId')) as "dispatchedNotRecorded"
    /* bench */`.execute(runtime.db);
  const row = rows[0];
  if (!row) throw new Error('the repeats query returned no row');
  return row;
}

/** Events since `after`, for the status line: heads answered, cascades fired, chains done. */
export async function readProgress(
  runtime: Runtime,
  after: number,
  lastDepth: number,
): Promise<{ heads: number; triggered: number; done: number; head: number }> {
  const { rows } = await sql<{ heads: number; triggered: number; done: number; head: unknown }>`
    select
      count(*) filter (where type = 'ResponseRecorded' and not data ? 'cascade')::int as heads,
      count(*) filter (where type = 'CascadeTriggered')::int as triggered,
      count(*) filter (where type = 'ResponseRecorded'
        and (data->'cascade'->>'depth')::int = ${lastDepth})::int as done,
      max(position) as head
    from events /* bench */ where position > ${after}`.execute(runtime.db);
  const row = rows[0];
  return {
    heads: row?.heads ?? 0,
    triggered: row?.triggered ?? 0,
    done: row?.done ?? 0,
    head: row?.head === null || row?.head === undefined ? after : Number(row.head),
  };
}

/** The earliest of the heads' latest dispatched slots: past the window's end, every head's window slots are dispatched. */
export async function readHeadsCaughtUp(runtime: Runtime, heads: number): Promise<number | null> {
  const { rows } = await sql<{ n: number; at: number | null }>`
    select count(*)::int as n, ${epochMs(sql`min(last_slot)`)} as at from (
      select stream_id, max((data->>'scheduledFor')::timestamptz) as last_slot
      from events /* bench */
      where type = 'RunDispatched' and not data ? 'cascade'
      group by stream_id) s`.execute(runtime.db);
  const row = rows[0];
  return row && row.n >= heads && row.at !== null ? Number(row.at) : null;
}
