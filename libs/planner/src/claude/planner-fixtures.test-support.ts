import type {
  DraftCheck,
  EndpointView,
  PlannerContext,
  PlannerTools,
  ProposalDraft,
  ResponseSummary,
} from '@orrery/domain';

export const NOW = '2025-06-02T10:00:00.000Z';
export const SELF = 'ep-orders-sync';
export const SIBLING = 'ep-orders-cleanup';
export const UPSTREAM = 'ep-inventory-feed';
export const DOWNSTREAM = 'ep-invoice-export';

const MINUTE = 60_000;
const at = (minutesAgo: number) => new Date(Date.parse(NOW) - minutesAgo * MINUTE).toISOString();

/** `count` responses of an endpoint, one a minute, oldest first; the last carries `body`. */
export function responses(endpointId: string, count: number, body: unknown): ResponseSummary[] {
  return Array.from({ length: count }, (_, i) => ({
    runId: `run-${endpointId}-${i + 1}`,
    position: 1000 + i * 10,
    respondedAt: at(count - i),
    status: 200,
    ok: true,
    durationMs: 180 + i * 7,
    body: i === count - 1 ? body : { orders_pending: 40 + i },
  }));
}

const noHints = { interval: null, oneShot: null };
const view = (
  endpointId: string,
  jobId: string,
  name: string,
  latest: ResponseSummary | null,
): EndpointView => ({
  endpointId,
  jobId,
  name,
  baseline: { kind: 'interval', everyMs: MINUTE },
  minIntervalMs: 5_000,
  maxIntervalMs: 60 * MINUTE,
  paused: null,
  hints: noHints,
  consecutiveFailures: 0,
  latest,
});

/** The history each endpoint of {@link plannerContext} has recorded. */
export function histories(): Map<string, ResponseSummary[]> {
  return new Map([
    [SELF, responses(SELF, 8, { orders_pending: 240, recommended_interval_ms: 15_000 })],
    [SIBLING, responses(SIBLING, 3, { removed: 12 })],
    [UPSTREAM, responses(UPSTREAM, 4, { sku_count: 1830, batch_id: 'b-77' })],
    [DOWNSTREAM, responses(DOWNSTREAM, 2, { exported: 0 })],
  ]);
}

/**
 * A session's context: an order sync whose latest response asks for faster polling, a
 * sibling in its job, an inventory feed upstream (another job) and an invoice export downstream.
 */
export function plannerContext(h = histories()): PlannerContext {
  const last = (id: string) => h.get(id)?.at(-1) ?? null;
  const recent = h.get(SELF) ?? [];
  return {
    tenantId: 'tenant-acme',
    now: NOW,
    endpoint: {
      ...view(SELF, 'job-orders', 'Sync orders', last(SELF)),
      recent,
      health: [{ windowMs: 60 * MINUTE, runs: recent.length, failures: 0, p50DurationMs: 200 }],
    },
    siblings: [{ ...view(SIBLING, 'job-orders', 'Clean up stale carts', last(SIBLING)) }],
    upstreams: [
      {
        ...view(UPSTREAM, 'job-inventory', 'Inventory feed', last(UPSTREAM)),
        edgeId: 'edge-inventory-orders',
        mode: 'trigger',
      },
    ],
    downstreams: [
      {
        ...view(DOWNSTREAM, 'job-billing', 'Export invoices', last(DOWNSTREAM)),
        edgeId: 'edge-orders-invoices',
        mode: 'gate',
      },
    ],
    refusals: [],
    basedOnPosition: 1070,
    trigger: { runId: `run-${SELF}-8`, position: 1070 },
  };
}

/** {@link PlannerTools} over in-memory histories, with the records a test asserts on. */
export interface MemoryPlannerTools extends PlannerTools {
  readonly checked: ProposalDraft[];
  readonly historyReads: { endpointId: string; limit: number }[];
}

/**
 * The planner's tools over maps: history from `histories`, and a dry run with two of the
 * arbiter's rules (ownership: self or a declared downstream; bounds: intervals clamp to the
 * target's [min, max]).
 */
export function memoryPlannerTools(
  context: PlannerContext,
  h: Map<string, ResponseSummary[]>,
): MemoryPlannerTools {
  const checked: ProposalDraft[] = [];
  const historyReads: { endpointId: string; limit: number }[] = [];
  const owned = new Map<string, EndpointView>(
    [context.endpoint, ...context.downstreams].map((e) => [e.endpointId, e]),
  );
  return {
    checked,
    historyReads,
    responseHistory: (endpointId, limit) => {
      historyReads.push({ endpointId, limit });
      return Promise.resolve((h.get(endpointId) ?? []).slice(-limit));
    },
    check: (draft): DraftCheck => {
      checked.push(draft);
      const target = owned.get(draft.targetEndpointId);
      if (!target) {
        return {
          outcome: 'reject',
          rule: 'ownership',
          detail: `${context.endpoint.endpointId} may steer itself or its declared downstreams, not ${draft.targetEndpointId}`,
        };
      }
      if (draft.action.kind !== 'interval') return { outcome: 'accept' };
      const requested = draft.action.intervalMs;
      const max = target.maxIntervalMs ?? Number.MAX_SAFE_INTEGER;
      if (requested >= target.minIntervalMs && requested <= max) return { outcome: 'accept' };
      const bound = requested < target.minIntervalMs ? 'min' : 'max';
      const applied = bound === 'min' ? target.minIntervalMs : max;
      return { outcome: 'accept', clamped: { requested, applied, bound } };
    },
  };
}
