import { FanIn, toIso, type EdgeDefinition, type EndpointState, type Millis } from '@orrery/domain';
import { z } from 'zod';
import type { DependencyView, EdgeStateView, GraphNodeView } from '../schemas/dependencies.js';

/** An edge as answers show it. */
export const dependencyView = (edge: EdgeDefinition): DependencyView => ({
  edgeId: edge.edgeId,
  name: edge.name,
  upstreamEndpointId: edge.upstreamEndpointId,
  downstreamEndpointId: edge.downstreamEndpointId,
  condition: edge.condition,
  mode: edge.mode,
  freshness: edge.freshness,
  ...(edge.onUpstreamFailure ? { onUpstreamFailure: edge.onUpstreamFailure } : {}),
});

/** An endpoint's incoming edges as its state holds them (declared on its stream), by name. */
export const dependsOnOf = (state: EndpointState): DependencyView[] =>
  Object.values(state.cascade.edges)
    .map((inputs) => dependencyView(inputs.edge))
    .sort((a, b) => a.name.localeCompare(b.name));

// What the graph view reads of a stored endpoint state (the read model's jsonb). Every part is
// optional or falls back, so rows written before cascades existed read as "nothing seen yet".
const Observed = z.object({
  runId: z.string(),
  respondedAt: z.number(),
  status: z.number().nullable(),
  ok: z.boolean(),
  satisfied: z.boolean(),
});
const StoredEdge = z.object({
  latest: Observed.nullable().catch(null),
  lastSatisfied: Observed.nullable().catch(null),
  failures: z.number().catch(0),
  failing: z.boolean().catch(false),
  waiting: z.array(z.unknown()).catch([]),
});
const StoredState = z.object({
  config: z
    .object({
      name: z.string().catch(''),
      baseline: z.object({ kind: z.enum(['interval', 'cron', 'none']) }).catch({ kind: 'none' }),
      fanIn: FanIn.nullable().catch(null).optional(),
    })
    .nullable()
    .catch(null),
  lastRun: z.object({ dispatchedAt: z.number() }).nullable().catch(null),
  cascade: z
    .object({ edges: z.record(z.string(), z.unknown()).catch({}) })
    .nullable()
    .catch(null)
    .optional(),
});
type StoredState = z.infer<typeof StoredState>;

/** A stored endpoint state (a read-model row's `state`, or a folded state), read leniently. */
export const storedState = (raw: unknown): StoredState => {
  const parsed = StoredState.safeParse(raw);
  return parsed.success ? parsed.data : { config: null, lastRun: null };
};

const observation = (o: z.infer<typeof Observed> | null) =>
  o && {
    runId: o.runId,
    respondedAt: toIso(o.respondedAt),
    status: o.status,
    ok: o.ok,
    satisfied: o.satisfied,
  };

/**
 * What the downstream knows of an edge at `now`: the responses it saw, whether a gate edge is
 * open (its latest response satisfied and still fresh: within the duration, or newer than the
 * downstream's last run), the breaker of an edge with `onUpstreamFailure`, and how many
 * satisfying responses a trigger edge holds for its fan-in.
 */
export function edgeStateOf(
  edge: EdgeDefinition,
  downstream: StoredState,
  now: Millis,
): EdgeStateView {
  const parsed = StoredEdge.safeParse(downstream.cascade?.edges[edge.edgeId]);
  const seen = parsed.success ? parsed.data : null;
  const latest = seen?.latest ?? null;
  const fresh = (respondedAt: Millis) => {
    if (edge.freshness.kind === 'duration') return respondedAt >= now - edge.freshness.ms;
    const lastRun = downstream.lastRun?.dispatchedAt;
    return lastRun === undefined || respondedAt > lastRun;
  };
  const open = latest !== null && latest.satisfied && fresh(latest.respondedAt);
  return {
    latest: observation(latest),
    lastSatisfied: observation(seen?.lastSatisfied ?? null),
    gate: edge.mode === 'gate' ? (open ? 'open' : 'closed') : null,
    breaker: edge.onUpstreamFailure ? (seen?.failing ? 'open' : 'closed') : null,
    failures: seen?.failures ?? 0,
    waiting: seen?.waiting.length ?? 0,
  };
}

/** An endpoint as a node of the graph view. */
export const nodeOf = (
  row: { endpointId: string; jobId: string; status: 'active' | 'archived'; state: StoredState },
  jobId: string,
): GraphNodeView => ({
  endpointId: row.endpointId,
  jobId: row.jobId,
  name: row.state.config?.name ?? row.endpointId,
  status: row.status,
  baseline: row.state.config?.baseline.kind ?? 'none',
  fanIn: row.state.config?.fanIn ?? null,
  inJob: row.jobId === jobId,
});
