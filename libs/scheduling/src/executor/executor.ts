import { setMaxListeners } from 'node:events';
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
  TRACE_ATTRIBUTES as A,
  traceLogFields,
  type Instrumentation,
} from '@orrery/telemetry';
import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { Logger } from 'pino';
import { AppendBatcher } from './append-batcher.js';
import { ExecutorMetrics } from './executor-metrics.js';
import { retryTransient } from './retry-transient.js';
import { storable } from './storable.js';

export interface ExecutorOptions {
  readonly store: EventStore;
  readonly queue: QueuePort;
  readonly log: Logger;
  readonly executorId?: string;
  /** Calls in flight at once. Default 32. */
  readonly concurrency?: number;
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
  /** Tracer and meter for runs (see docs/observability.md). Default: no-ops. */
  readonly instrumentation?: Instrumentation;
  /** Level of the one line logged per recorded run ("run recorded"). Default `debug`. */
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
  readonly #tracer: Tracer;
  readonly #metrics: ExecutorMetrics;
  readonly #batcher: AppendBatcher;
  readonly #recording = new Set<Promise<void>>();
  /** Aborted by `stop()`: recordings stop retrying. */
  readonly #stopAsked = new AbortController();
  #consumer: Consumer | undefined;
  #stopping: Promise<void> | undefined;

  constructor(private readonly options: ExecutorOptions) {
    this.#now = options.now ?? Date.now;
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

  /** Calls the target and starts recording; resolves once the call is done. */
  async execute(job: QueuePayload<'execute'>): Promise<void> {
    const now = this.#now();
    if (isStale(job, now)) {
      // The lease lapsed while the job waited in the queue: the run has been (or
      // is about to be) dispatched again, and that job will call. Calling here
      // too would only add a duplicate request.
      this.options.log.warn(
        { run: job.runId, attempt: job.attempt, ...traceLogFields(job.traceparent) },
        'skipped a stale job',
      );
      this.#metrics.staleSkip();
      queueWaitSpan(this.#tracer, job, now, true);
      return;
    }
    this.#metrics.takenUp(job, now);
    queueWaitSpan(this.#tracer, job, now, false);
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
    this.options.log[this.options.runLogLevel ?? 'debug'](
      {
        endpoint: job.endpointId,
        run: job.runId,
        status: outcome.status,
        durationMs: Math.round(outcome.durationMs),
        lateMs: outcome.startedAt - Date.parse(job.scheduledFor),
        ...(outcome.error ? { error: outcome.error.kind } : {}),
        ...traceLogFields(traceparent),
      },
      'run recorded',
    );
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
    await this.idle();
    await this.#batcher.drain();
    await this.#caller.close();
  }
}

/** The attributes every span of a run carries. */
function runAttributes(job: QueuePayload<'execute'>): Attributes {
  return {
    [A.tenant]: job.tenantId,
    [A.endpoint]: job.endpointId,
    [A.run]: job.runId,
    [A.attempt]: job.attempt,
    ...(job.cascade === undefined
      ? {}
      : { [A.cascadeRoot]: job.cascade.root, [A.cascadeDepth]: job.cascade.depth }),
  };
}

/**
 * The time a run's job waited for an executor (`orrery.run.queue_wait`): from its dispatch (the
 * job is enqueued right after) to an executor taking it, in the run's trace. A job whose lease
 * lapsed meanwhile is marked `orrery.run.stale` and not called.
 */
function queueWaitSpan(
  tracer: Tracer,
  job: QueuePayload<'execute'>,
  now: number,
  stale: boolean,
): void {
  const span = tracer.startSpan(
    'orrery.run.queue_wait',
    {
      kind: SpanKind.CONSUMER,
      startTime: Math.min(Date.parse(job.dispatchedAt), now),
      attributes: { ...runAttributes(job), 'orrery.run.stale': stale },
    },
    contextFromTraceparent(job.traceparent),
  );
  span.end(now);
}

/** Ends a call's span: the response status, and an error status for a failed outcome. */
function endCallSpan(span: Span, outcome: CallOutcome): void {
  if (outcome.status !== null) span.setAttribute('http.response.status_code', outcome.status);
  if (!outcome.ok) {
    span.setAttribute('error.type', outcome.error?.kind ?? String(outcome.status));
    span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error?.message ?? '' });
  }
  span.end();
}

/** The host a URL names, for the span (never the path or query, which may hold secrets). */
function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}
