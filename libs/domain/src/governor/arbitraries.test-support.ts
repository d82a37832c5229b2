import { emptySteering } from '../arbiter/steering.js';
import { emptyCascadeState } from '../graph/inputs.js';
import fc from 'fast-check';
import type { Baseline, EndpointConfig } from '../endpoint/config.js';
import type {
  EndpointState,
  InFlightRun,
  IntervalHint,
  LastRun,
  OneShotHint,
} from '../endpoint/state.js';
import type { Millis } from '../time.js';

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** 2026-01-01T00:00:00Z, the epoch of the hand-written specs. */
export const T0: Millis = Date.parse('2026-01-01T00:00:00.000Z');
export const at = (iso: string): Millis => Date.parse(iso);

/** A parsed config with the schema's defaults, overridable field by field. */
export const config = (overrides: Partial<EndpointConfig> = {}): EndpointConfig => ({
  name: 'orders',
  description: '',
  request: { method: 'GET', url: 'http://127.0.0.1:8080/orders', headers: {} },
  baseline: { kind: 'interval', everyMs: MINUTE },
  minIntervalMs: 0,
  timeoutMs: 10_000,
  responseCapBytes: 64 * 1024,
  jitterMs: 0,
  backoff: { factor: 2, maxMs: HOUR },
  ...overrides,
});

/** An active endpoint registered at T0 that has never run. */
export const active = (overrides: Partial<EndpointState> = {}): EndpointState => ({
  status: 'active',
  endpointId: 'ep_1',
  tenantId: 't1',
  jobId: 'j1',
  config: config(),
  registeredAt: T0,
  pause: null,
  hints: { interval: null, oneShot: null },
  lastRun: null,
  inFlight: null,
  consecutiveFailures: 0,
  lastSkip: null,
  cascade: emptyCascadeState(),
  steering: emptySteering(),
  version: 1,
  ...overrides,
});

export const lastRun = (scheduledFor: Millis, dispatchedAt: Millis = scheduledFor): LastRun => ({
  runId: `run_${scheduledFor}`,
  scheduledFor,
  dispatchedAt,
});

export const intervalHint = (intervalMs: number, expiresAt: Millis): IntervalHint => ({
  hintId: 'h_interval',
  source: 'planner',
  sourceId: 'heuristic',
  intervalMs,
  expiresAt,
  reason: 'busy hour',
});

export const oneShotHint = (runAt: Millis, expiresAt: Millis): OneShotHint => ({
  hintId: 'h_oneshot',
  source: 'cascade',
  sourceId: 'edge_1',
  runAt,
  expiresAt,
  reason: 'upstream finished',
});

// ---- fast-check arbitraries ----

const CRON_EXPRESSIONS = [
  '* * * * *',
  '*/5 * * * *',
  '0 * * * *',
  '30 2 * * *',
  '*/30 2 * * *',
  '0 9 * * MON-FRI',
  '0 0 1 * *',
  '*/15 * * * * *',
];
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];

/** Instants in 2025–2027, which cover several DST transitions in every zone above. */
export const instantArb = fc.integer({
  min: at('2025-01-01T00:00:00Z'),
  max: at('2027-12-31T00:00:00Z'),
});

export const baselineArb: fc.Arbitrary<Baseline> = fc.oneof(
  fc.record({
    kind: fc.constant('interval' as const),
    everyMs: fc.integer({ min: 100, max: 2 * DAY }),
  }),
  fc.record({
    kind: fc.constant('cron' as const),
    expression: fc.constantFrom(...CRON_EXPRESSIONS),
    timezone: fc.constantFrom(...ZONES),
  }),
);

export const configArb: fc.Arbitrary<EndpointConfig> = fc
  .record({
    baseline: baselineArb,
    minIntervalMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 * DAY })),
    extraMaxMs: fc.option(fc.integer({ min: 0, max: 3 * DAY }), { nil: undefined }),
    jitterMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: HOUR })),
    factor: fc.double({ min: 1, max: 10, noNaN: true }),
    backoffMaxMs: fc.integer({ min: 1, max: 7 * DAY }),
  })
  .map(({ extraMaxMs, factor, backoffMaxMs, ...rest }) =>
    config({
      ...rest,
      // The schema requires max >= min (when max is set, and it must be positive).
      ...(extraMaxMs === undefined
        ? {}
        : { maxIntervalMs: Math.max(1, rest.minIntervalMs + extraMaxMs) }),
      backoff: { factor, maxMs: backoffMaxMs },
    }),
  );

/** An offset around `now`: hints and pauses land on both sides of it, and exactly on it. */
const aroundNow = fc.oneof(fc.integer({ min: -2 * DAY, max: 2 * DAY }), fc.constant(0));

/** A registered endpoint (maybe run, hinted, failing, in flight; never paused) and a `now`. */
export const scenarioArb: fc.Arbitrary<{ state: EndpointState; now: Millis }> = fc
  .record({
    endpointId: fc.constantFrom('ep_1', 'ep_2', 'orders-sync', 'ép_ü'),
    config: configArb,
    registeredAt: instantArb,
    run: fc.option(
      fc.record({
        slotAfterRegistration: fc.integer({ min: 0, max: 30 * DAY }),
        // Usually late; sometimes early (a max clamp pulls a run ahead of its slot).
        lateness: fc.oneof(
          fc.integer({ min: 0, max: 5 * SECOND }),
          fc.integer({ min: -HOUR, max: 3 * DAY }),
        ),
      }),
      { nil: null },
    ),
    nowAfterAnchor: fc.integer({ min: 0, max: 10 * DAY }),
    failures: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 12 }), fc.constant(5_000)),
    interval: fc.option(
      fc.record({ intervalMs: fc.integer({ min: 1, max: DAY }), ttl: aroundNow }),
      {
        nil: null,
      },
    ),
    oneShot: fc.option(fc.record({ runAt: aroundNow, ttl: aroundNow }), { nil: null }),
    inFlight: fc.boolean(),
  })
  .map(({ run, nowAfterAnchor, interval, oneShot, inFlight, failures, ...s }) => {
    const last =
      run === null
        ? null
        : lastRun(
            s.registeredAt + run.slotAfterRegistration,
            s.registeredAt + run.slotAfterRegistration + run.lateness,
          );
    const now = (last?.dispatchedAt ?? s.registeredAt) + nowAfterAnchor;
    const flight: InFlightRun | null =
      inFlight && last !== null
        ? { ...last, leaseUntil: last.dispatchedAt + MINUTE, attempt: 1 }
        : null;
    const state = active({
      ...s,
      lastRun: last,
      inFlight: flight,
      consecutiveFailures: failures,
      hints: {
        interval: interval === null ? null : intervalHint(interval.intervalMs, now + interval.ttl),
        oneShot: oneShot === null ? null : oneShotHint(now + oneShot.runAt, now + oneShot.ttl),
      },
    });
    return { state, now };
  });

/** Removes both hints, to compare a state with its hint-free twin. */
export const withoutHints = (state: EndpointState): EndpointState => ({
  ...state,
  hints: { interval: null, oneShot: null },
});
