import type { Counter, Meter } from '@opentelemetry/api';
import { ARBITER_RULES, type RecordedEvent } from '@orrery/domain';

/** What the projection counts as it folds the log: what became of runs and of proposals. */
export const PROJECTION_METRICS = {
  /** Runs by outcome (`orrery.run.outcome`). */
  runs: 'orrery.runs',
  /** Hint proposals by outcome (`orrery.hint.outcome`), source and refusing rule. */
  hintProposals: 'orrery.hint.proposals',
} as const;

export const PROJECTION_ATTRIBUTES = {
  /** `ok`, `http_error` (a response that is not 2xx), `error` (no usable response), `skipped`. */
  runOutcome: 'orrery.run.outcome',
  /** `accepted` (HintProposed) or `rejected` (HintRejected). */
  hintOutcome: 'orrery.hint.outcome',
  /** `user`, `cascade`, `planner`. */
  hintSource: 'orrery.hint.source',
  /** The arbiter's rule that refused a proposal (ARBITER_RULES; `_OTHER` otherwise). */
  rule: 'orrery.arbiter.rule',
} as const;

const RULES: ReadonlySet<string> = new Set(ARBITER_RULES);

/**
 * Counts outcomes from the events of a committed projection batch: every source of runs
 * (schedules, cascades, gates) and of proposals (users, cascades, the planner) passes through
 * the log, and one projection is active at a time, so each is counted once — whichever process
 * appended it. A rebuild under another name is given no meter and counts nothing.
 */
export class ProjectionMetrics {
  readonly #runs: Counter;
  readonly #hints: Counter;

  constructor(meter: Meter) {
    this.#runs = meter.createCounter(PROJECTION_METRICS.runs, {
      description: 'Runs by outcome: responses recorded and runs skipped',
      unit: '{run}',
    });
    this.#hints = meter.createCounter(PROJECTION_METRICS.hintProposals, {
      description: 'Hint proposals by what the arbiter decided, and the rule that refused them',
      unit: '{proposal}',
    });
  }

  /** Counts the outcomes among `events` (a batch the projection has committed). */
  committed(events: readonly RecordedEvent[]): void {
    const A = PROJECTION_ATTRIBUTES;
    for (const event of events) {
      switch (event.type) {
        case 'ResponseRecorded': {
          if (event.data.test) break;
          const { ok, error } = event.data;
          const outcome = ok ? 'ok' : error ? 'error' : 'http_error';
          this.#runs.add(1, {
            [A.runOutcome]: outcome,
            ...(error ? { 'error.type': error.kind } : {}),
          });
          break;
        }
        case 'RunSkipped':
          this.#runs.add(1, { [A.runOutcome]: 'skipped' });
          break;
        case 'HintProposed':
          this.#hints.add(1, { [A.hintOutcome]: 'accepted', [A.hintSource]: event.data.source });
          break;
        case 'HintRejected':
          this.#hints.add(1, {
            [A.hintOutcome]: 'rejected',
            [A.hintSource]: event.data.source,
            [A.rule]: RULES.has(event.data.rule) ? event.data.rule : '_OTHER',
          });
          break;
        default:
          break;
      }
    }
  }
}
