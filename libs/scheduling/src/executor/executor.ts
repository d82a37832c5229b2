import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ConcurrencyError,
  endpointStream,
  responseRecorded,
  toIso,
  type Consumer,
  type EventStore,
  type QueuePayload,
  type QueuePort,
} from '@orrery/domain';
import {
  createHttpCaller,
  type CallOutcome,
  type HttpCaller,
  type HttpCallerOptions,
} from '@orrery/http';
import { openHeaders, type SecretBox } from '@orrery/secrets';
import {
  contextFromTraceparent,
  endSpan,
  noopInstrumentation,
  outgoingTraceparent,
  traceLogFields,
  type Instrumentation,
} from '@orrery/telemetry';
import { context, ROOT_CONTEXT, SpanKind, trace, type Span, type Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { AppendBatcher } from './append-batcher.js';
import { ExecutorMetrics } from './executor-metrics.js';
import { retryTransient } from './retry-transient.js';
import { RUN_RECORDED, runLine } from './run-line.js';
import { CallSlots } from './call-slots.js';
import { startOf, waitUntil, type StartClock } from './start-at.js';
import { endCallSpan, hostOf, queueWaitSpan, runAttributes } from './executor-spans.js';
import { storable } from './storable.js';

export interface ExecutorOptions {
  readonly store: EventStore;
  readonly queue: QueuePort;
  readonly log: Logger;
  readonly executorId?: string;
  /** Calls in flight at once. Default 32. */
  readonly concurrency?: number;
  /**
   * Runs dispatched ahead held in memory until their start, at most; beyond it, taking messages
   * waits. Default 1024 (the services' 500 ms horizon at 2 000 runs/s).
   */
  readonly prefetch?: number;
  readonly http?: HttpCallerOptions;
  /** Opens sealed (secret) header values; without it, an endpoint with secrets fails its runs. */
  readonly secrets?: SecretBox | null;
  /** Shared group-commit appender (one per process); default: the executor's own. */
  readonly batcher?: AppendBatcher;
  /** Responses being recorded at once before calls wait. Default 1000. */
  readonly maxUnrecorded?: number;
  /**
   * Clock (ms since the epoch) for staleness, lateness and recording times, and for the HTTP
   * caller's timestamps unless `http.now` is given. Default `Date.now`.
   */
  readonly now?: () => number;
  /** The timer a run dispatched ahead waits on for its start, read against `now`. Default: Node's. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Tracer and meter for runs (see docs/observability.md). Default: no-ops. */
  readonly instrumentation?: Instrumentation;
  /** Level of the one line logged per recorded run (`run recorded`, see runLine). Default `debug`. */
  readonly runLogLevel?: 'info' | 'debug';
}

/**
 * Takes execute jobs, calls the target, and appends ResponseRecorded under
 * the key `response:<runId>`, so a redelivered job (a crashed executor, a
 * lapsed lease) records a run at most once. Appends from concurrent calls are
 * batched into one round trip (group commit).
 *
 * A job's queue slot is released as soon as the call returns; recording goes
 * on in the background (at most `maxUnrecorded` at once, beyond which calls
 * wait). While the database is unreachable a response is kept and its
 * recording retried (1 s, 2 s, 4 s, then every 5 s), so an outage delays responses
 * instead of dropping them; a stop gives up on the retries. A crash before a
 * response is recorded loses nothing either: the log still shows the run in
 * flight, and its lease lapsing dispatches it again.
 *
 * Each call is a span (`orrery.run.execute`), a child of the job's `traceparent`; the target
 * gets the span's own `traceparent` when it records, the job's unchanged otherwise. Figures:
 * `orrery.run.*` and `orrery.executor.*` (see docs/observability.md).
 */
/** A job whose lease lapsed before an executor took it. */
export const isStale = (job: QueuePayload<'execute'>, now: number): boolean =>
  now >= Date.parse(job.leaseUntil);

export class Executor {
  readonly #caller: HttpCaller;
  readonly #now: () => number;
  readonly #clock: StartClock;
  readonly #calls: CallSlots;
  readonly #tracer: Tracer;
  readonly #metrics: ExecutorMetrics;
  readonly #batcher: AppendBatcher;
  readonly #recording = new Set<Promise<void>>();
  /** Runs dispatched ahead, waiting for their start (then for a call slot, then calling). */
  readonly #waiting = new Set<Promise<void>>();
  /** Aborted by `stop()`: recordings stop retrying. */
  readonly #stopAsked = new AbortController();
  #consumer: Consumer | undefined;
  #stopping: Promise<void> | undefined;

  constructor(private readonly options: ExecutorOptions) {
    this.#now = options.now ?? Date.now;
    this.#clock = { now: this.#now, sleep: options.sleep ?? ((ms) => sleep(ms)) };
    this.#calls = new CallSlots(options.concurrency ?? 32);
    const { tracer, meter } = options.instrumentation ?? noopInstrumentation;
    this.#tracer = tracer;
    this.#metrics = new ExecutorMetrics(meter);
    this.#caller = createHttpCaller({ now: this.#now, ...options.http });
    this.#batcher = options.batcher ?? new AppendBatcher(options.store);
    // Each response waiting to retry its recording listens to the signal (at most maxUnrecorded).
    setMaxListeners(0, this.#stopAsked.signal);
  }

  start(): void {
    this.#consumer = this.options.queue.consume('execute', (job) => this.execute(job.data), {
      concurrency: this.options.concurrency ?? 32,
    });
  }

  /**
   * Calls the target at the run's start (its slot, or `startAt` when dispatched ahead; never
   * before, by this executor's clock) and starts recording. A run already startable is called at
   * once and this resolves once the call is done. A run dispatched ahead is held in memory on a
   * timer and this resolves at once (the message's queue slot is not held while it waits; after
   * `prefetch` such runs, it resolves once one has started). A crash meanwhile loses the held
   * runs to their leases, which dispatch them again.
   */
  async execute(job: QueuePayload<'execute'>): Promise<void> {
    const taken = this.#now();
    if (this.#skipStale(job, taken)) {
      queueWaitSpan(this.#tracer, job, taken, true);
      return;
    }
    this.#metrics.takenUp(job, taken);
    queueWaitSpan(this.#tracer, job, taken, false);
    const startAt = startOf(job);
    if (startAt <= taken) return this.#callInSlot(job);
    const waiting = this.#startLater(job, startAt);
    this.#waiting.add(waiting);
    void waiting.finally(() => this.#waiting.delete(waiting));
    while (this.#waiting.size > (this.options.prefetch ?? 1024)) {
      await Promise.race(this.#waiting);
    }
  }

  /** A run dispatched ahead: its timer, then its call. Never throws (the lease recovers). */
  async #startLater(job: QueuePayload<'execute'>, startAt: number): Promise<void> {
    try {
      await waitUntil(startAt, this.#clock);
      await this.#callInSlot(job);
    } catch (error) {
      this.options.log.error(
        { err: error, run: job.runId, ...traceLogFields(job.traceparent) },
        'call failed; the run is dispatched again when its lease lapses',
      );
    }
  }

  /** Takes one of the `concurrency` call slots (in turn), then calls, unless the lease lapsed. */
  async #callInSlot(job: QueuePayload<'execute'>): Promise<void> {
    const release = await this.#calls.acquire();
    try {
      // A busy executor can hold a run past its lease: it has been dispatched again by now.
      if (this.#skipStale(job, this.#now())) return;
      await this.#execute(job);
    } finally {
      release();
    }
  }

  /** Skips a job whose lease lapsed before its call could start; true when it did. */
  #skipStale(job: QueuePayload<'execute'>, now: number): boolean {
    if (!isStale(job, now)) return false;
    // The lease lapsed while the job waited: the run has been (or is about to be) dispatched
    // again, and that job will call. Calling here too would only add a duplicate request.
    this.options.log.warn(
      { run: job.runId, attempt: job.attempt, ...traceLogFields(job.traceparent) },
      'skipped a stale job',
    );
    this.#metrics.staleSkip();
    return true;
  }

  async #execute(job: QueuePayload<'execute'>): Promise<void> {
    const span = this.#startSpan(job);
    const traceparent = outgoingTraceparent(span, job.traceparent);
    let outcome: CallOutcome;
    try {
      // The call span is the active one while undici sends, so an instrumented client's span
      // (see createUndiciInstrumentation) is its child, in the run's trace.
      outcome = await context.with(trace.setSpan(ROOT_CONTEXT, span), () =>
        this.#call(job, traceparent),
      );
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
    endCallSpan(span, outcome);
    this.#metrics.called(job, outcome);
    const recording = this.#traceRecord(job, outcome, traceparent).catch((error: unknown) =>
      this.options.log.error(
        { err: error, run: job.runId, ...traceLogFields(traceparent) },
        'recording failed; the run is dispatched again when its lease lapses',
      ),
    );
    this.#recording.add(recording);
    void recording.finally(() => this.#recording.delete(recording));
    // Backpressure: a slow log slows the calls down instead of piling up responses.
    while (this.#recording.size > (this.options.maxUnrecorded ?? 1000)) {
      await Promise.race(this.#recording);
    }
  }

  /** Resolves once every response taken so far is in the log. */
  async idle(): Promise<void> {
    while (this.#recording.size > 0) await Promise.all(this.#recording);
  }

  /** Records a response inside its span (`orrery.run.record`, a child of the call's). */
  async #traceRecord(
    job: QueuePayload<'execute'>,
    outcome: CallOutcome,
    traceparent: string | undefined,
  ): Promise<void> {
    const span = this.#tracer.startSpan(
      'orrery.run.record',
      { attributes: runAttributes(job) },
      contextFromTraceparent(traceparent),
    );
    try {
      await this.#record(job, outcome, traceparent);
      endSpan(span);
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
  }

  async #record(
    job: QueuePayload<'execute'>,
    outcome: CallOutcome,
    traceparent: string | undefined,
  ): Promise<void> {
    // A fact, built by the endpoint decider's response rule and appended without reading the
    // stream: idempotent per run (see responseRecorded).
    const recorded = responseRecorded(
      {
        runId: job.runId,
        startedAt: toIso(outcome.startedAt),
        finishedAt: toIso(outcome.finishedAt),
        durationMs: outcome.durationMs,
        status: outcome.status,
        ok: outcome.ok,
        headers: storable(outcome.headers) as Record<string, string>,
        body: storable(outcome.body ?? null),
        bodyTruncated: outcome.bodyTruncated,
        ...(outcome.error ? { error: outcome.error } : {}),
        ...(job.cascade ? { cascade: job.cascade } : {}),
      },
      {
        tenantId: job.tenantId,
        actor: { kind: 'system', id: this.options.executorId ?? `executor-${process.pid}` },
        causationId: job.runId,
        ...(traceparent === undefined ? {} : { traceparent }),
      },
    );
    if (!recorded.ok) throw new Error(`run ${job.runId}: ${recorded.error.message}`);
    const request = {
      streamId: endpointStream(job.tenantId, job.endpointId),
      expectedVersion: 'any' as const,
      events: recorded.value,
      idempotencyKey: `response:${job.runId}`,
    };
    // Safe to repeat: the key makes a second append of this response a no-op.
    const result = await retryTransient(() => this.#batcher.append(request), {
      signal: this.#stopAsked.signal,
      onRetry: (error, retry, retryInMs) =>
        this.options.log[retry === 0 ? 'warn' : 'debug'](
          { err: error, run: job.runId, retryInMs, ...traceLogFields(traceparent) },
          'recording failed: the database is unreachable; trying again',
        ),
    });
    if (result instanceof ConcurrencyError) throw result; // cannot happen with 'any'
    this.#metrics.recorded(job, outcome, this.#now());
    // The line's fields are built only when it is written (a `debug` line, by default, is not).
    const level = this.options.runLogLevel ?? 'debug';
    if (this.options.log.isLevelEnabled(level)) {
      this.options.log[level](
        { ...runLine(job, outcome), ...traceLogFields(traceparent) },
        RUN_RECORDED,
      );
    }
  }

  #startSpan(job: QueuePayload<'execute'>): Span {
    return this.#tracer.startSpan(
      'orrery.run.execute',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          ...runAttributes(job),
          'http.request.method': job.request.method,
          'server.address': hostOf(job.request.url),
        },
      },
      contextFromTraceparent(job.traceparent),
    );
  }

  async #call(job: QueuePayload<'execute'>, traceparent: string | undefined): Promise<CallOutcome> {
    let headers: Record<string, string>;
    try {
      headers = openHeaders(this.options.secrets ?? null, job.request.headers);
    } catch (error) {
      // A misconfigured key is the run's outcome, visible to the user, not a retry loop.
      const now = this.#now();
      return {
        startedAt: now,
        finishedAt: now,
        durationMs: 0,
        status: null,
        ok: false,
        headers: {},
        body: null,
        bodyTruncated: false,
        error: {
          kind: 'internal',
          message: error instanceof Error ? error.message : String(error),
        },
      };
    }
    return this.#caller.call({
      method: job.request.method,
      url: job.request.url,
      headers,
      ...(job.request.body === undefined ? {} : { body: job.request.body }),
      timeoutMs: job.timeoutMs,
      responseCapBytes: job.responseCapBytes,
      runId: job.runId,
      ...(traceparent === undefined ? {} : { traceparent }),
    });
  }

  /** Stops taking jobs, finishes the calls in hand and their recording. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#stopAsked.abort(); // a recording failing from now on is left to the lease
    await this.#consumer?.close();
    // Runs dispatched ahead and held here are called at their start (at most the horizon away).
    while (this.#waiting.size > 0) await Promise.all(this.#waiting);
    await this.idle();
    await this.#batcher.drain();
    await this.#caller.close();
  }
}
