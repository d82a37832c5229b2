import type { QueuePayload } from '@orrery/domain';
import type { CallOutcome } from '@orrery/http';

/** The message of the one line the executor logs per recorded run. */
export const RUN_RECORDED = 'run recorded';

/** The fields of a run's line: what ran, how it went, how late it started and why it ran. */
export type RunLine = {
  readonly endpoint: string;
  readonly run: string;
  /** The response's HTTP status; null when there was none (see `error`). */
  readonly status: number | null;
  readonly ok: boolean;
  /** Why there was no usable response: `timeout`, `network`, `too_large`, `refused`, … */
  readonly error?: string;
  readonly durationMs: number;
  /** Call start − slot: how late the call started (negative never: a call waits for its slot). */
  readonly latenessMs: number;
  /**
   * Why it ran: the dispatch's reason (`baseline_interval`, `baseline_cron`, `first_run`,
   * `interval_hint`, `one_shot_hint`, `max_interval`, `cascade` — see `cascadeFrom`), `retry`
   * when a lapsed lease dispatched the run again, `schedule` when the message does not say
   * (queued by an older dispatcher).
   */
  readonly reason: string;
  /** A cascade's run: the upstream endpoint whose response fired it. */
  readonly cascadeFrom?: string;
};

/** The line of a run whose response is being recorded. */
export function runLine(job: QueuePayload<'execute'>, outcome: CallOutcome): RunLine {
  // The chain runs from the root to this endpoint: the one before it fired this run.
  const upstream = job.cascade && job.cascade.depth > 0 ? job.cascade.chain.at(-2) : undefined;
  return {
    endpoint: job.endpointId,
    run: job.runId,
    status: outcome.status,
    ok: outcome.ok,
    ...(outcome.error ? { error: outcome.error.kind } : {}),
    durationMs: Math.round(outcome.durationMs),
    latenessMs: Math.round(outcome.startedAt - Date.parse(job.scheduledFor)),
    reason:
      job.attempt > 1 ? 'retry' : (job.reason ?? (upstream !== undefined ? 'cascade' : 'schedule')),
    ...(upstream === undefined ? {} : { cascadeFrom: upstream }),
  };
}

/** Dispatch reasons as a person reads them in a run's line. */
const REASON_WORDS: Readonly<Record<string, string>> = {
  baseline_interval: 'baseline',
  baseline_cron: 'baseline (cron)',
  first_run: 'first run',
  interval_hint: 'hint (interval)',
  one_shot_hint: 'hint (run once)',
  max_interval: 'max interval',
};

/**
 * A run's line for a person, from its logged fields:
 * `run demo-orders 200 ok · 12 ms late · baseline`, `run demo-pack 503 failed · 3 ms late ·
 * cascade from demo-orders`, `run demo-report timeout · 0 ms late · retry`.
 */
export function runSummary(line: Readonly<Record<string, unknown>>): string {
  const { endpoint, status, ok, error, latenessMs, reason, cascadeFrom } = line;
  const outcome =
    typeof error === 'string'
      ? error
      : `${typeof status === 'number' ? `${status} ` : ''}${ok === true ? 'ok' : 'failed'}`;
  const why =
    reason === 'cascade'
      ? `cascade from ${String(cascadeFrom)}`
      : (REASON_WORDS[String(reason)] ?? String(reason));
  return `run ${String(endpoint)} ${outcome} · ${String(latenessMs)} ms late · ${why}`;
}

/** For `createLogger`'s `summaries` (@orrery/service-kit): a run's line, short, when pretty. */
export const runLogSummaries = { [RUN_RECORDED]: runSummary } as const;
