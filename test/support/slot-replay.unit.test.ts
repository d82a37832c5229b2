import { makeEvent, toIso, type DomainEvent, type RecordedEvent } from '@orrery/domain';
import { describe, expect, it } from 'vitest';
import { FLEET_TENANT, runIdOf, streamOf } from './fleet-ids.js';
import { indexRuns } from './run-log.js';
import { slotReplayProblems } from './slot-replay.js';

// The replay check against doctored logs: it must pass a log the governor
// explains (including a lost run re-dispatched and slots coalesced after a late
// run) and fail a log where a slot was skipped, run twice or recorded twice.

const ID = 'ep1';
const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const CUTOFF = T0 + 5_500;
const LEASE_MS = 2_500;

/** Offsets from T0 in ms; `runId` replaces the slot's own run id. */
type Step =
  | { kind: 'dispatch'; slot: number; at: number; reason: string; attempt: number; runId?: string }
  | { kind: 'respond'; slot: number; at: number; runId?: string };

const dispatch = (slot: number, at: number, reason = 'baseline_interval', attempt = 1): Step => ({
  kind: 'dispatch',
  slot,
  at,
  reason,
  attempt,
});
const respond = (slot: number, at: number): Step => ({ kind: 'respond', slot, at });

/** Every 1 s from T0 (offsets in ms from T0), as the pipeline would log it. */
const GOOD: readonly Step[] = [
  dispatch(0, 5, 'first_run'),
  respond(0, 220),
  dispatch(1_000, 1_003),
  respond(1_000, 1_210),
  dispatch(2_000, 2_004), // its executor dies: no response until the lease lapses
  dispatch(2_000, 4_600, 'lease_expired', 2),
  respond(2_000, 4_800),
  dispatch(3_000, 4_810), // late: slot 4 000 coalesces into this run
  respond(3_000, 4_900),
  dispatch(5_000, 5_002),
  respond(5_000, 5_100),
];

const metadata = { tenantId: FLEET_TENANT, actor: { kind: 'system' as const, id: 'unit' } };

function eventOf(step: Step): DomainEvent {
  const runId = step.runId ?? runIdOf(ID, T0 + step.slot);
  const at = toIso(T0 + step.at);
  if (step.kind === 'respond') {
    const times = { startedAt: at, finishedAt: at, durationMs: 0 };
    const answer = { status: 200, ok: true, headers: {}, body: null, bodyTruncated: false };
    return makeEvent('ResponseRecorded', { runId, ...times, ...answer }, metadata);
  }
  return makeEvent(
    'RunDispatched',
    {
      runId,
      scheduledFor: toIso(T0 + step.slot),
      dispatchedAt: at,
      leaseUntil: toIso(T0 + step.at + LEASE_MS),
      attempt: step.attempt,
      reason: step.reason,
    },
    metadata,
  );
}

function problemsOf(steps: readonly Step[]): string[] {
  const registered = makeEvent(
    'EndpointRegistered',
    {
      endpointId: ID,
      jobId: 'job-1',
      tenantId: FLEET_TENANT,
      config: {
        name: ID,
        request: { url: 'http://127.0.0.1:9/ep1' },
        baseline: { kind: 'interval', everyMs: 1_000 },
        timeoutMs: 1_000,
      },
      registeredAt: toIso(T0),
    },
    metadata,
  );
  const events: RecordedEvent[] = [registered, ...steps.map(eventOf)].map((event, i) => ({
    ...event,
    position: i + 1,
    streamId: streamOf(ID),
    streamVersion: i + 1,
    recordedAt: toIso(T0),
  }));
  return slotReplayProblems([ID], indexRuns(events), CUTOFF);
}

const without = (...drop: number[]) => GOOD.filter((_, i) => !drop.includes(i));
const inserted = (at: number, ...steps: Step[]) => [
  ...GOOD.slice(0, at),
  ...steps,
  ...GOOD.slice(at),
];
const iso = (offset: number) => toIso(T0 + offset);
const run = (slot: number) => runIdOf(ID, T0 + slot);

describe('slotReplayProblems', () => {
  it('passes a log the governor explains: a lost run re-dispatched, missed slots coalesced', () => {
    expect(problemsOf(GOOD)).toEqual([]);
  });

  it('fails when a slot in the middle was skipped', () => {
    expect(problemsOf(without(2, 3))).toEqual([
      `${ID}: dispatched ${run(2_000)} attempt 1 (baseline_interval) for slot ${iso(2_000)}` +
        ` at ${iso(2_004)}; the governor said ${run(1_000)} attempt 1 (baseline_interval)` +
        ` for slot ${iso(1_000)}`,
    ]);
  });

  it('fails when the last slot before the cut-off was never dispatched', () => {
    expect(problemsOf(without(9, 10))).toEqual([
      `${ID}: slot ${iso(5_000)} (baseline_interval) was due at ${iso(5_000)} and never dispatched`,
    ]);
  });

  it('fails when a slot ran twice as a first attempt', () => {
    expect(problemsOf(inserted(4, dispatch(1_000, 1_500), respond(1_000, 1_600)))).toEqual([
      `${ID}: dispatched ${run(1_000)} attempt 1 (baseline_interval) for slot ${iso(1_000)}` +
        ` at ${iso(1_500)}; the governor had nothing due (baseline_interval, next: ${iso(2_000)})`,
    ]);
  });

  it('fails a catch-up burst: a coalesced slot dispatched anyway', () => {
    expect(problemsOf(inserted(9, dispatch(4_000, 4_950), respond(4_000, 4_990)))).toEqual([
      `${ID}: dispatched ${run(4_000)} attempt 1 (baseline_interval) for slot ${iso(4_000)}` +
        ` at ${iso(4_950)}; the governor had nothing due (baseline_interval, next: ${iso(5_000)})`,
    ]);
  });

  it('fails when a run was recorded twice, or never', () => {
    expect(problemsOf(inserted(4, respond(1_000, 1_300)))).toEqual([
      `${ID}: response for ${run(1_000)}, run in flight: none`,
    ]);
    expect(problemsOf(without(10))).toEqual([
      `${ID}: ${run(5_000)} (slot ${iso(5_000)}) is not recorded`,
    ]);
  });

  it('fails a re-dispatch before the lease lapsed', () => {
    const early = GOOD.map((s, i) => (i === 5 ? dispatch(2_000, 3_000, 'lease_expired', 2) : s));
    expect(problemsOf(early)).toEqual([
      `${ID}: dispatched ${run(2_000)} attempt 2 (lease_expired) for slot ${iso(2_000)}` +
        ` at ${iso(3_000)} while ${run(2_000)} attempt 1 held the endpoint until ${iso(4_504)}`,
    ]);
  });

  it('fails a slot dispatched under another run id', () => {
    const renamed = GOOD.map((s, i) => (i === 2 || i === 3 ? { ...s, runId: 'run-x' } : s));
    expect(problemsOf(renamed)).toEqual([
      `${ID}: dispatched run-x attempt 1 (baseline_interval) for slot ${iso(1_000)}` +
        ` at ${iso(1_003)}; the governor said ${run(1_000)} attempt 1 (baseline_interval)` +
        ` for slot ${iso(1_000)}`,
    ]);
  });

  it('fails an endpoint with no stream at all', () => {
    expect(slotReplayProblems(['ep2'], indexRuns([]), CUTOFF)).toEqual(['ep2: no stream']);
  });
});
