import { isDeepStrictEqual } from 'node:util';
import { fold, type EventStore } from '@orrery/domain';
import type { SchedulingDb } from '@orrery/scheduling';
import { sql } from 'kysely';
import { slotsBetween, type FleetEndpoint } from './endpoint-fleet.js';
import { streamOf } from './fleet-ids.js';
import type { RunLog } from './run-log.js';

// Each check returns its violations (empty when the invariant holds), so a
// failure shows every offender at once instead of the first.

/** Dispatched runs with no ResponseRecorded yet, among those dispatched up to `until` (log time). */
export async function unansweredRuns(db: SchedulingDb, until?: Date): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from events d
    where d.type = 'RunDispatched'
      and ${until === undefined ? sql`true` : sql`d.recorded_at <= ${until}`}
      and not exists (
        select 1 from events r
        where r.type = 'ResponseRecorded' and r.stream_id = d.stream_id
          and r.data->>'runId' = d.data->>'runId')`.execute(db);
  return rows[0]?.n ?? Number.NaN;
}

/**
 * (a) Each endpoint ran at least `minShare` of the slots its baseline has
 * from its registration to `windowEnd`. Time during which a re-dispatched run
 * held the endpoint (from its first dispatch to its response: one run in
 * flight at a time, by design) is taken out first: those slots are lost on
 * purpose, not by a fault.
 */
export function slotShortfalls(
  fleet: readonly FleetEndpoint[],
  log: RunLog,
  windowEnd: number,
  minShare: number,
): string[] {
  return fleet.flatMap((endpoint) => {
    const registeredAt = log.registeredAt.get(endpoint.id);
    if (registeredAt === undefined) return [`${endpoint.id}: not registered`];
    const runs = log.byEndpoint.get(endpoint.id) ?? [];
    const ran = runs.filter((run) => run.responses.length > 0).length;
    const expected = slotsBetween(endpoint, registeredAt, windowEnd);
    let heldMs = 0;
    for (const run of runs) {
      const first = run.dispatches[0];
      const response = run.responses[0];
      if (run.dispatches.length > 1 && first && response) {
        heldMs += Date.parse(response.recordedAt) - Date.parse(first.data.dispatchedAt);
      }
    }
    const lost = Math.ceil(heldMs / endpoint.stepMs);
    const minimum = Math.floor(minShare * Math.max(0, expected - lost));
    return ran >= minimum
      ? []
      : [
          `${endpoint.id} (every ${endpoint.stepMs} ms): ran ${ran} of ${expected} slots` +
            ` (${lost} held by a re-dispatched run), minimum ${minimum}`,
        ];
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
 * run; a key seen more than once belongs to a run re-dispatched after the
 * kill; every response with an HTTP status was seen by the target.
 */
export function unexplainedDeliveries(
  hits: ReadonlyMap<string, number>,
  log: RunLog,
  killedAt: number,
): string[] {
  const problems: string[] = [];
  for (const [key, count] of hits) {
    const run = log.runs.get(key);
    if (!run || run.responses.length === 0) {
      problems.push(`key "${key}" (${count}x): no recorded run`);
    } else if (
      count > 1 &&
      !run.dispatches.some((d) => d.data.attempt > 1 && Date.parse(d.data.dispatchedAt) > killedAt)
    ) {
      problems.push(`key ${key} seen ${count}x without a re-dispatch after the kill`);
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
