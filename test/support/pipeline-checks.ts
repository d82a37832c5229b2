import { isDeepStrictEqual } from 'node:util';
import { fold, type EndpointState, type EventStore } from '@orrery/domain';
import type { SchedulingDb } from '@orrery/scheduling';
import { sql } from 'kysely';
import { streamOf } from './fleet-ids.js';
import type { RunLog } from './run-log.js';
import { owedBefore } from './slot-replay.js';

// Each check returns its violations (empty when the invariant holds), so a
// failure shows every offender at once instead of the first.

/** Run ids dispatched (up to `until`, log time) with no ResponseRecorded yet. */
export async function unansweredRuns(db: SchedulingDb, until?: Date): Promise<string[]> {
  const { rows } = await sql<{ run_id: string }>`
    select distinct d.data->>'runId' as run_id from events d
    where d.type = 'RunDispatched'
      and ${until === undefined ? sql`true` : sql`d.recorded_at <= ${until}`}
      and not exists (
        select 1 from events r
        where r.type = 'ResponseRecorded' and r.stream_id = d.stream_id
          and r.data->>'runId' = d.data->>'runId')
    order by 1`.execute(db);
  return rows.map((row) => row.run_id);
}

/**
 * Run ids with no ResponseRecorded whose latest lease lapsed before `now`. A
 * live executor that took such a run too late skips it ("skipped a stale job")
 * for a dispatcher to send again, so only a running dispatcher gets it recorded.
 */
export async function lapsedRuns(db: SchedulingDb, now: Date): Promise<string[]> {
  const { rows } = await sql<{ run_id: string }>`
    select d.data->>'runId' as run_id from events d
    where d.type = 'RunDispatched'
      and not exists (
        select 1 from events r
        where r.type = 'ResponseRecorded' and r.stream_id = d.stream_id
          and r.data->>'runId' = d.data->>'runId')
    group by 1
    having max((d.data->>'leaseUntil')::timestamptz) < ${now}
    order by 1`.execute(db);
  return rows.map((row) => row.run_id);
}

/**
 * Endpoints that still owe a slot due before `cutoff`, as the projected
 * `schedule` rows say (see `owedBefore`). It only decides when the test stops
 * dispatching; what it asserts is the replay of the log (`slotReplayProblems`),
 * so a lagging projection can make the drain longer, never the check weaker.
 */
export async function owedSlots(
  db: SchedulingDb,
  endpointIds: readonly string[],
  cutoff: number,
): Promise<string[]> {
  const rows = await db.selectFrom('schedule').select(['endpoint_id', 'state']).execute();
  const states = new Map(rows.map((row) => [row.endpoint_id, row.state as EndpointState]));
  return endpointIds.flatMap((id) => {
    const state = states.get(id);
    const owed = state === undefined ? 'no schedule row' : owedBefore(state, cutoff);
    return owed === null ? [] : [`${id}: ${owed}`];
  });
}

/**
 * (b) No slot dispatched twice: per endpoint, first attempts have distinct
 * slots and run ids; every later attempt repeats its run's slot, counts up
 * from 2, and says why.
 */
export function doubleDispatches(log: RunLog): string[] {
  const problems: string[] = [];
  for (const [endpointId, runs] of log.byEndpoint) {
    const firsts = runs.flatMap((run) => run.dispatches.filter((d) => d.data.attempt === 1));
    const slots = new Set(firsts.map((d) => d.data.scheduledFor));
    const runIds = new Set(firsts.map((d) => d.data.runId));
    if (slots.size !== firsts.length || runIds.size !== firsts.length) {
      problems.push(
        `${endpointId}: ${firsts.length} first attempts, ${slots.size} slots, ${runIds.size} run ids`,
      );
    }
    for (const run of runs) {
      const first = run.dispatches[0];
      run.dispatches.forEach((d, i) => {
        const ok =
          d.data.attempt === i + 1 &&
          d.data.scheduledFor === first?.data.scheduledFor &&
          (i === 0 || d.data.reason === 'lease_expired');
        if (!ok) problems.push(`${run.runId}: dispatch ${i + 1} is ${JSON.stringify(d.data)}`);
      });
    }
  }
  return problems;
}

/**
 * (c) Every request the target saw (by Idempotency-Key) belongs to a recorded
 * run, and no run reached the target more often than it was dispatched
 * (delivery is at-least-once only through a re-dispatch after a lapsed lease);
 * every response with an HTTP status was seen by the target.
 */
export function unexplainedDeliveries(hits: ReadonlyMap<string, number>, log: RunLog): string[] {
  const problems: string[] = [];
  for (const [key, count] of hits) {
    const run = log.runs.get(key);
    if (!run || run.responses.length === 0) {
      problems.push(`key "${key}" (${count}x): no recorded run`);
    } else if (count > run.dispatches.length) {
      problems.push(`key ${key} seen ${count}x, dispatched ${run.dispatches.length}x`);
    }
  }
  for (const run of log.runs.values()) {
    for (const response of run.responses) {
      if (response.data.status !== null && !hits.has(run.runId)) {
        problems.push(`${run.runId}: HTTP ${response.data.status} recorded, target never saw it`);
      }
    }
  }
  return problems;
}

/** (d) Each dispatched run has exactly one ResponseRecorded, and no response lacks a run. */
export function responseCountProblems(log: RunLog): string[] {
  return [
    ...[...log.runs.values()]
      .filter((run) => run.responses.length !== 1)
      .map((run) => `${run.runId}: ${run.responses.length} responses`),
    ...log.orphanResponses.map((r) => `${r.streamId}: response for undispatched ${r.data.runId}`),
  ];
}

/** (e) Each `schedule` row holds exactly a fresh fold of its stream. */
export async function projectionDrift(
  db: SchedulingDb,
  store: EventStore,
  endpointIds: readonly string[],
): Promise<string[]> {
  const rows = await db
    .selectFrom('schedule')
    .select(['endpoint_id', 'state', 'stream_version'])
    .execute();
  const problems: string[] = [];
  const seen = new Set(rows.map((row) => row.endpoint_id));
  for (const id of endpointIds) if (!seen.has(id)) problems.push(`${id}: no schedule row`);
  for (const row of rows) {
    const folded = fold(await store.readStream(streamOf(row.endpoint_id)));
    const expected: unknown = JSON.parse(JSON.stringify(folded));
    if (!isDeepStrictEqual(row.state, expected)) {
      problems.push(
        `${row.endpoint_id}: state ${JSON.stringify(row.state)} ≠ fold ${JSON.stringify(expected)}`,
      );
    }
    if (row.stream_version !== folded.version) {
      problems.push(`${row.endpoint_id}: stream_version ${row.stream_version} ≠ ${folded.version}`);
    }
  }
  return problems;
}

/** (f) The `runs` table has one row per dispatched run, its status and attempt as the log says. */
export async function runsTableProblems(db: SchedulingDb, log: RunLog): Promise<string[]> {
  const rows = await db.selectFrom('runs').selectAll().execute();
  const problems: string[] = [];
  const byId = new Map(rows.map((row) => [row.run_id, row]));
  if (byId.size !== rows.length) problems.push(`${rows.length} rows for ${byId.size} run ids`);
  for (const row of rows)
    if (!log.runs.has(row.run_id)) problems.push(`${row.run_id}: not in the log`);
  for (const run of log.runs.values()) {
    const row = byId.get(run.runId);
    const response = run.responses[0];
    const want = {
      status: response?.data.ok ? 'succeeded' : 'failed',
      http_status: response?.data.status ?? null,
      attempt: run.dispatches.length,
    };
    const got = row && { status: row.status, http_status: row.http_status, attempt: row.attempt };
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      problems.push(`${run.runId}: row ${JSON.stringify(got)}, log says ${JSON.stringify(want)}`);
    }
  }
  return problems;
}
