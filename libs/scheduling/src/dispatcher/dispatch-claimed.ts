import { handleCommand } from '@orrery/event-store';
import { noopInstrumentation } from '@orrery/telemetry';
import type { SpanContext, Tracer } from '@opentelemetry/api';
import {
  endpointDecider,
  endpointStream,
  jobStream,
  scheduleOf,
  type AppendOutcome,
  type AppendRequest,
  type DomainEvent,
  type EventStore,
  type QueueMessage,
} from '@orrery/domain';
import type { ClaimedEndpoint } from './claim.js';
import { openDispatchSpan } from './dispatch-span.js';
import { executeMessage } from './execute-message.js';

export interface DispatchSettings {
  readonly dispatcherId: string;
  /** Lease beyond the endpoint's timeout before a run counts as lost. */
  readonly leaseMarginMs: number;
  /**
   * How far ahead of its due time a run is dispatched (the `Dispatch` command's `aheadMs`); the
   * executor starts its call at that time. 0: only runs already due.
   */
  readonly aheadMs: number;
}

/** What became of a round of claimed endpoints. */
export interface DispatchRound {
  /** One execute message per run dispatched, in claim order. */
  readonly messages: QueueMessage<'execute'>[];
  /** Claimed rows with nothing due after all, and until when (null: until something changes). */
  readonly deferrals: {
    tenantId: string;
    endpointId: string;
    streamVersion: number;
    until: number | null;
  }[];
  /** Claimed rows the decider refused, or that kept conflicting (logged; tried again later). */
  readonly refusals: { endpointId: string; code: string; reason: string }[];
}

/**
 * Runs the `Dispatch` command on every claimed endpoint through the command handler, starting
 * from the claimed row's state and deciding on it at once; the appends go out together through
 * `append` (a group-commit batcher). Should the projection have lagged, the append finds the
 * stream moved and the command is decided again on the events since — a hint that lapsed, a
 * pause that arrived — never on a stale state.
 *
 * Each run dispatched is a span (`orrery.run.dispatch`, linked to the `round` span): the root of
 * a new trace for a run of the endpoint's own schedule, a child of its cascade's trigger for a
 * cascade's run (see docs/tracing.md).
 */
export async function dispatchClaimed(
  claimed: readonly ClaimedEndpoint[],
  now: number,
  deps: {
    store: EventStore;
    append: (request: AppendRequest) => Promise<AppendOutcome>;
    settings: DispatchSettings;
    /** Records the runs' dispatch spans. Default: a no-op tracer. */
    tracer?: Tracer;
    /** The round's span, which each run's dispatch span links to. */
    round?: SpanContext;
  },
): Promise<DispatchRound> {
  const round: DispatchRound = { messages: [], deferrals: [], refusals: [] };
  const tracer = deps.tracer ?? noopInstrumentation.tracer;
  const spans = claimed.map((row) => openDispatchSpan(tracer, row, now, deps.round));
  const results = await Promise.all(
    claimed.map(({ tenantId, endpointId, streamVersion, state, holds, jobVersion }, i) =>
      handleCommand(
        deps.store,
        endpointDecider,
        endpointStream(tenantId, endpointId),
        {
          type: 'Dispatch',
          leaseMarginMs: deps.settings.leaseMarginMs,
          holds,
          aheadMs: deps.settings.aheadMs,
        },
        {
          // Decided under the job's state as the row holds it: appended only if the job's
          // stream has not moved since (a pause of the job wins from its position on).
          conditions: [{ streamId: jobStream(tenantId, state.jobId), version: jobVersion }],
          now: () => now,
          // A run of the endpoint's own starts a trace (its dispatch span); the call continues
          // it and the target gets it. A cascade's run keeps its cascade's (the decider's choice).
          metadata: {
            tenantId,
            actor: { kind: 'system', id: deps.settings.dispatcherId },
            ...(spans[i] ? { traceparent: spans[i].traceparent } : {}),
          },
          snapshot: async () => ({ ...state, version: streamVersion }),
          readTail: 'on-conflict',
          append: deps.append,
          idempotencyKey: dispatchKey,
        },
      ),
    ),
  );
  results.forEach((result, i) => {
    const row = claimed[i];
    if (!row) return;
    spans[i]?.end(result.ok ? result.events : []);
    if (!result.ok) {
      round.refusals.push({
        endpointId: row.endpointId,
        code: result.error.code,
        reason: result.error.message,
      });
      return;
    }
    const dispatched = result.events.find((e) => e.type === 'RunDispatched');
    // A run recorded at its dispatch (a cascade whose template failed) has no call to make.
    const recorded = result.events.some((e) => e.type === 'ResponseRecorded');
    if (dispatched?.type === 'RunDispatched') {
      if (!recorded) round.messages.push(executeMessage(dispatched, result.state));
    } else if (
      result.events.length === 0 &&
      !result.duplicate &&
      result.state.version === row.streamVersion
    ) {
      // Not due after all (the row was written before a hint lapsed, say). When the handler
      // read newer events, the projection is about to rewrite the row and clear the claim.
      // Claimable again once its due time is within the horizon.
      const dueAt = scheduleOf(result.state, now, row.holds).dueAt;
      round.deferrals.push({
        ...row,
        until: dueAt === null ? null : dueAt - deps.settings.aheadMs,
      });
    }
  });
  return round;
}

/**
 * The idempotency key of what a dispatch decided: the run and its attempt, or the slot a closed
 * gate skipped (and the hint or cascade it spent) — so a retried append never lands twice, and
 * every distinct decision gets a key of its own.
 */
export function dispatchKey(events: readonly DomainEvent[]): string {
  const decided = events[0];
  if (decided?.type === 'RunDispatched') {
    return `dispatch:${decided.data.runId}:${decided.data.attempt}`;
  }
  if (decided?.type === 'RunSkipped') {
    const spent = decided.data.cascadeId ?? decided.data.hintId ?? 'slot';
    return `skip:${decided.data.scheduledFor}:${spent}`;
  }
  throw new Error(`a dispatch decided ${decided?.type ?? 'nothing'}`);
}
