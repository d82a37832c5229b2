import { handleCommand, type CommandResult } from '@orrery/event-store';
import {
  endpointDecider,
  endpointStream,
  fromIso,
  jobStream,
  parseEndpointStream,
  type CascadeContext,
  type EdgeDefinition,
  type EndpointState,
  type EventOf,
  type EventStore,
  type EventType,
  type Millis,
  type QueuePort,
  type RecordedEvent,
  type UpstreamResponse,
} from '@orrery/domain';
import {
  noopInstrumentation,
  outgoingTraceparent,
  traceLogFields,
  type Instrumentation,
} from '@orrery/telemetry';
import { ROOT_CONTEXT, trace, type Span, type Tracer } from '@opentelemetry/api';
import type { SchedulingDb } from '../db.js';
import { endDispatchSpan, startDispatchSpan } from '../dispatcher/dispatch-span.js';
import { executeMessage } from '../dispatcher/execute-message.js';
import { AppendBatcher } from '../executor/append-batcher.js';
import { loadEdges, saveEdgeChanges, type EdgeChange } from './cascade-edges.js';
import { CascadeMetrics } from './cascade-metrics.js';
import { loadDownstreams, type DownstreamRow } from './cascade-snapshots.js';
import { endTriggerSpan, startTriggerSpan } from './cascade-spans.js';
import type { Processor, ProcessorContext } from './processor.js';

const isGraphStream = (streamId: string) => streamId.startsWith('graph-');

type Response = RecordedEvent & EventOf<'ResponseRecorded'>;

export interface CascadeProcessorOptions {
  readonly db: SchedulingDb;
  readonly store: EventStore;
  readonly now?: () => Millis;
  /**
   * Dispatches a fired cascade at once, here, instead of leaving it to the projection and the
   * dispatcher (which remain the fallback): the hop then costs no projection round. Needs the
   * queue the executors consume. Default: none (the dispatcher dispatches it).
   */
  readonly queue?: QueuePort;
  /** The lease margin of directly dispatched runs: the dispatchers' (default 15 s). */
  readonly leaseMarginMs?: number;
  /**
   * Tracer of the cascade spans (`orrery.cascade.trigger` per edge and response, and the
   * dispatch of a run fired here; see docs/tracing.md). Default: no-ops.
   */
  readonly instrumentation?: Instrumentation;
}

/**
 * Turns upstream responses into downstream decisions. For each `ResponseRecorded` of an endpoint
 * that has outgoing edges, it sends `ObserveUpstream` to each downstream through the command
 * handler — the downstream's decider judges the condition, keeps the gate and breaker inputs and
 * fires the fan-in (`CascadeTriggered`) — and, when a cascade fires, dispatches its run in the same
 * decision and append (under the job's state, as the dispatcher would) and enqueues it.
 *
 * It learns the edges from the tenants' graph streams, in log order (`cascade_edges`, written
 * in the same transaction as its checkpoint), so an edge declared after a response never sees
 * it. Each decision is appended under `observe:<edge>:<position of the response>`: handling a
 * response again (after a crash or a takeover) has no second effect (a crash between the append
 * and the enqueue is recovered by the run's lease, as for the dispatcher). Commands for one downstream run in log order; different downstreams are
 * decided in parallel and appended together (group commit).
 */
export class CascadeProcessor implements Processor {
  readonly name = 'cascade';
  readonly #batcher: AppendBatcher;
  readonly #now: () => Millis;
  readonly #tracer: Tracer;
  readonly #metrics: CascadeMetrics;

  constructor(private readonly deps: CascadeProcessorOptions) {
    this.#batcher = new AppendBatcher(deps.store);
    this.#now = deps.now ?? Date.now;
    this.#tracer = (deps.instrumentation ?? noopInstrumentation).tracer;
    this.#metrics = new CascadeMetrics((deps.instrumentation ?? noopInstrumentation).meter);
  }

  readonly types = [
    'ResponseRecorded',
    'DependencyDeclared',
    'DependencyRemoved',
  ] as const satisfies readonly EventType[];
  readonly wants = (event: RecordedEvent): boolean =>
    ((event.type === 'DependencyDeclared' || event.type === 'DependencyRemoved') &&
      isGraphStream(event.streamId)) ||
    (event.type === 'ResponseRecorded' &&
      !event.data.test &&
      parseEndpointStream(event.streamId) !== null);

  async handle(events: readonly RecordedEvent[], ctx: ProcessorContext): Promise<void> {
    const { db } = this.deps;
    const responses = events.filter((e): e is Response => e.type === 'ResponseRecorded');
    // The edges out of this batch's upstreams as they stood before it (as of the checkpoint);
    // the batch's own graph events apply in order on top, so each response sees exactly the
    // edges declared before it.
    const edges = await loadEdges(
      db,
      responses.flatMap((r) => parseEndpointStream(r.streamId) ?? []),
    );
    const changes: EdgeChange[] = [];
    const work = new Map<string, { tenantId: string; edge: EdgeDefinition; event: Response }[]>();
    for (const event of events) {
      if (event.type === 'DependencyDeclared' || event.type === 'DependencyRemoved') {
        const change = edgeChange(event);
        changes.push(change);
        edges.apply(change);
        continue;
      }
      if (event.type !== 'ResponseRecorded') continue;
      const ref = parseEndpointStream(event.streamId);
      if (ref === null) continue;
      for (const edge of edges.from(ref.tenantId, ref.id)) {
        const stream = endpointStream(ref.tenantId, edge.downstreamEndpointId);
        work.set(stream, [...(work.get(stream) ?? []), { tenantId: ref.tenantId, edge, event }]);
      }
    }
    // Decided before the checkpoint moves: a crash in between repeats the commands, which their
    // keys make harmless. The transaction below then stays short.
    const rows = await loadDownstreams(
      db,
      [...work.keys()].flatMap((stream) => parseEndpointStream(stream) ?? []),
    );
    await Promise.all(
      [...work.entries()].map(async ([stream, steps]) => {
        let row = rows.get(stream);
        for (const step of steps) row = await this.#observe(step, row, ctx);
      }),
    );
    // Edges learnt move with the checkpoint; without any, the host moves it alone.
    if (changes.length > 0) {
      await db.transaction().execute(async (trx) => {
        await saveEdgeChanges(trx, changes);
        await ctx.fence(trx);
      });
    }
  }

  /**
   * Observes one response on one edge — and, when the downstream's row is known and a queue is
   * at hand, dispatches a cascade that fires in the same decision and append; returns the
   * downstream as it is after that. Traced as `orrery.cascade.trigger`, a child of the
   * response's trace: the decision carries the span's context, so a run it fires continues it.
   */
  async #observe(
    step: { tenantId: string; edge: EdgeDefinition; event: Response },
    row: DownstreamRow | undefined,
    ctx: ProcessorContext,
  ): Promise<DownstreamRow | undefined> {
    const span = startTriggerSpan(this.#tracer, step, ctx.span);
    try {
      const { decided, after } = await this.#decideAndDispatch(step, row, ctx, span);
      endTriggerSpan(span, step.edge, decided);
      return after;
    } catch (error) {
      endTriggerSpan(span, step.edge, undefined, error);
      throw error;
    }
  }

  async #decideAndDispatch(
    { tenantId, edge, event }: { tenantId: string; edge: EdgeDefinition; event: Response },
    row: DownstreamRow | undefined,
    ctx: ProcessorContext,
    span: Span,
  ): Promise<{ decided: CommandResult<EndpointState>; after: DownstreamRow | undefined }> {
    const traceparent = outgoingTraceparent(span, event.metadata.traceparent);
    const { queue } = this.deps;
    const direct = queue !== undefined && row !== undefined;
    const decide = (dispatch: boolean, tail: 'first' | 'on-conflict') =>
      this.#decide(tenantId, edge, event, row, { dispatch, tail, traceparent });
    let result = await decide(direct, 'on-conflict');
    if (!result.ok && result.error.code === 'conflict' && direct) {
      // The job moved under the dispatch (a pause, say): observe alone; the dispatcher decides.
      result = await decide(false, 'on-conflict');
    }
    if (result.ok && result.events.length === 0 && !result.duplicate && row !== undefined) {
      // Nothing decided on the read model's copy may only mean the copy is behind (the edge not
      // in it yet): an empty decision appends nothing, so no conflict would ever say so. Decide
      // again on the stream's tail.
      result = await decide(direct, 'first');
    }
    if (!result.ok) {
      // A downstream that is gone (archived, never registered) has nothing to decide.
      if (result.error.code === 'not_found') return { decided: result, after: row };
      throw new Error(
        `edge ${edge.edgeId}: observing run ${event.data.runId}: ${result.error.message}`,
      );
    }
    const dispatched = result.events.find((e) => e.type === 'RunDispatched');
    // A run recorded at its dispatch (a template that could not render) makes no call.
    const recorded = result.events.some((e) => e.type === 'ResponseRecorded');
    if (queue !== undefined && dispatched?.type === 'RunDispatched' && !recorded) {
      const dispatch = startDispatchSpan(
        this.#tracer,
        trace.setSpan(ROOT_CONTEXT, span),
        result.state,
      );
      await queue.enqueue('execute', [executeMessage(dispatched, result.state)]);
      endDispatchSpan(dispatch, dispatched);
    }
    if (result.events.some((e) => e.type === 'CascadeTriggered')) {
      ctx.log.debug(
        { edge: edge.edgeId, run: event.data.runId, ...traceLogFields(traceparent) },
        'cascade triggered',
      );
      if (!result.duplicate)
        this.#metrics.hop(event.recordedAt, dispatched !== undefined, this.#now());
    }
    return { decided: result, after: row && { ...row, state: result.state } };
  }

  #decide(
    tenantId: string,
    edge: EdgeDefinition,
    event: Response,
    row: DownstreamRow | undefined,
    {
      dispatch,
      tail,
      traceparent,
    }: { dispatch: boolean; tail: 'first' | 'on-conflict'; traceparent: string | undefined },
  ) {
    // A cascade fired here continues the trigger span (CascadeTriggered carries the response's
    // `traceparent`); the observation itself stays in the upstream run's trace, which a fan-in
    // links to.
    const response = {
      ...upstreamResponse(event),
      ...(traceparent === undefined ? {} : { traceparent }),
    };
    const streamId = endpointStream(tenantId, edge.downstreamEndpointId);
    return handleCommand(
      this.deps.store,
      endpointDecider,
      streamId,
      {
        type: 'ObserveUpstream',
        edgeId: edge.edgeId,
        response,
        ...(dispatch && row
          ? { dispatch: { leaseMarginMs: this.deps.leaseMarginMs ?? 15_000, holds: row.holds } }
          : {}),
      },
      {
        now: this.#now,
        metadata: {
          tenantId,
          actor: { kind: 'cascade', id: edge.edgeId },
          causationId: response.runId,
          ...(event.metadata.traceparent === undefined
            ? {}
            : { traceparent: event.metadata.traceparent }),
        },
        idempotencyKey: `observe:${edge.edgeId}:${event.position}`,
        // The downstream's stream is busy (dispatches, responses): decide again rather than
        // park the upstream's stream over a race it will win on the next read.
        attempts: 20,
        append: (request) => this.#batcher.append(request),
        // A dispatch is decided under the job's state as the row holds it: appended only if the
        // job's stream has not moved since, exactly as the dispatcher's.
        ...(dispatch && row
          ? {
              conditions: [
                { streamId: jobStream(tenantId, row.state.jobId), version: row.jobVersion },
              ],
            }
          : {}),
        // The read model's copy is most likely current: decide on it, read the tail on conflict
        // (or first, when deciding on the copy decided nothing).
        ...(row === undefined ? {} : { snapshot: async () => row.state, readTail: tail }),
      },
    );
  }
}

function edgeChange(event: RecordedEvent): EdgeChange {
  const tenantId = event.metadata.tenantId;
  if (event.type === 'DependencyDeclared') {
    return { kind: 'declared', tenantId, edge: event.data, position: event.position };
  }
  if (event.type === 'DependencyRemoved') {
    return { kind: 'removed', tenantId, edgeId: event.data.edgeId };
  }
  throw new Error(`${event.type} is not a graph event`);
}

/** A recorded response as a downstream observes it. */
export function upstreamResponse(event: Response): UpstreamResponse {
  const ref = parseEndpointStream(event.streamId);
  if (ref === null) throw new Error(`${event.streamId} is not an endpoint stream`);
  const { data } = event;
  const own: CascadeContext = { root: data.runId, depth: 0, chain: [ref.id] };
  return {
    endpointId: ref.id,
    runId: data.runId,
    position: event.position,
    respondedAt: fromIso(data.finishedAt),
    status: data.status,
    ok: data.ok,
    headers: data.headers,
    body: data.body,
    durationMs: data.durationMs,
    cascade: data.cascade ?? own,
    ...(event.metadata.traceparent === undefined
      ? {}
      : { traceparent: event.metadata.traceparent }),
  };
}
