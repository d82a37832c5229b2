import type { ProposalAction, Proposal } from '../arbiter/proposal.js';
import type { HintSlot } from '../events/catalogue.js';
import type { RecordedEvent } from '../events/event.js';
import { fromIso, type Millis } from '../time.js';

/** What the log says became of a proposal. */
export type RecordedOutcome =
  { readonly outcome: 'accepted' } | { readonly outcome: 'rejected'; readonly rule: string };

/** A recorded proposal, as it can be decided again. */
export interface RecordedProposal {
  /** Null when the recorded outcome does not say enough to decide it again (kept as recorded). */
  readonly proposal: Proposal | null;
  readonly id: string;
  readonly kind: ProposalAction['kind'];
  readonly source: Proposal['source'];
  readonly recorded: RecordedOutcome;
  /** When it was decided: `proposedAt` for an accepted hint, else when its outcome was recorded. */
  readonly at: Millis;
}

/**
 * Rules a proposal is not decided again under, because its outcome event does not record their
 * inputs: `cascade_safety` needs the causation chain of the response the planner analysed, and
 * `invalid` values may not even be instants. Such a proposal keeps its recorded outcome.
 */
const KEPT_RULES = new Set(['cascade_safety', 'invalid']);

/**
 * The proposal behind an outcome event (`HintProposed`, `HintRejected`, or a `Paused` /
 * `HintsCleared` that names a `proposalId`), rebuilt from what the event records: the requested
 * interval (before the clamp), the TTL (`expiresAt − proposedAt`), the run time, the pause's
 * requested end, the slots. Null for any other event. Its cascade chain is not recorded, so it is
 * decided without one.
 */
export function recordedProposal(event: RecordedEvent): RecordedProposal | null {
  const recordedAt = fromIso(event.recordedAt);
  switch (event.type) {
    case 'HintProposed': {
      const { data } = event;
      const at = data.proposedAt === undefined ? recordedAt : fromIso(data.proposedAt);
      const ttlMs = fromIso(data.expiresAt) - at;
      const action: ProposalAction =
        data.slot === 'interval'
          ? { kind: 'interval', intervalMs: data.clamped?.requested ?? data.intervalMs, ttlMs }
          : { kind: 'oneShot', runAt: fromIso(data.runAt), ttlMs };
      const proposal: Proposal = {
        id: data.hintId,
        source: data.source,
        sourceId: data.sourceId,
        reason: data.reason,
        action,
        ...(data.basedOnPosition === undefined ? {} : { basedOnPosition: data.basedOnPosition }),
        ...(data.fromEndpointId === undefined ? {} : { fromEndpointId: data.fromEndpointId }),
      };
      return { ...common(proposal), recorded: { outcome: 'accepted' }, at };
    }
    case 'HintRejected': {
      const { data } = event;
      const kind = data.kind ?? data.slot ?? 'interval';
      const action = KEPT_RULES.has(data.rule) ? null : actionOf(kind, data.requested ?? {});
      const proposal: Proposal | null =
        action === null
          ? null
          : {
              id: data.proposalId,
              source: data.source,
              sourceId: data.sourceId,
              reason: '',
              action,
              ...(data.basedOnPosition === undefined
                ? {}
                : { basedOnPosition: data.basedOnPosition }),
              ...(data.fromEndpointId === undefined ? {} : { fromEndpointId: data.fromEndpointId }),
            };
      return {
        proposal,
        id: data.proposalId,
        kind,
        source: data.source,
        recorded: { outcome: 'rejected', rule: data.rule },
        at: recordedAt,
      };
    }
    case 'Paused':
    case 'HintsCleared': {
      const { proposalId, source } = event.data;
      if (proposalId === undefined || source === undefined) return null;
      const action: ProposalAction =
        event.type === 'Paused'
          ? {
              kind: 'pause',
              until: event.data.clamped?.requested ?? fromIso(event.data.until ?? event.recordedAt),
            }
          : { kind: 'clear', slots: event.data.slots };
      const proposal: Proposal = {
        id: proposalId,
        source,
        sourceId: event.metadata.actor.id,
        reason: event.data.reason,
        action,
      };
      return { ...common(proposal), recorded: { outcome: 'accepted' }, at: recordedAt };
    }
    default:
      return null;
  }
}

const common = (proposal: Proposal) => ({
  proposal,
  id: proposal.id,
  kind: proposal.action.kind,
  source: proposal.source,
});

/** A refused proposal's action from its `requested` record; null when a value is missing. */
function actionOf(
  kind: ProposalAction['kind'],
  requested: Readonly<Record<string, unknown>>,
): ProposalAction | null {
  const num = (key: string) =>
    typeof requested[key] === 'number' ? (requested[key] as number) : null;
  const instant = (key: string) => {
    const value = requested[key];
    if (typeof value !== 'string') return null;
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  };
  const ttlMs = num('ttlMs');
  switch (kind) {
    case 'interval': {
      const intervalMs = num('intervalMs');
      return intervalMs === null || ttlMs === null ? null : { kind, intervalMs, ttlMs };
    }
    case 'oneShot': {
      const runAt = instant('runAt');
      return ttlMs === null ? null : { kind, ttlMs, ...(runAt === null ? {} : { runAt }) };
    }
    case 'pause': {
      const until = instant('until');
      return until === null ? null : { kind, until };
    }
    case 'clear': {
      const slots = requested['slots'];
      const valid = Array.isArray(slots) && slots.every((s) => s === 'interval' || s === 'oneShot');
      return valid ? { kind, slots: slots as HintSlot[] } : null;
    }
  }
}
