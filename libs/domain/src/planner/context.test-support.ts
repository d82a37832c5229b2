import type { HintSource } from '../events/catalogue.js';
import type {
  DraftCheck,
  EndpointView,
  LiveHintView,
  NeighbourView,
  PlannerContext,
  ProposalDraft,
  RefusalView,
  ResponseSummary,
} from './context.js';

/**
 * Builders for the planner's specs: the analysed endpoint is `self` (job j1, every minute,
 * bounded to [1 s, 1 h]); the session runs at T0 and every instant is ISO, measured from it.
 */

export const T0 = Date.parse('2026-03-01T12:00:00.000Z');
export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const iso = (ms: number) => new Date(ms).toISOString();

/** An endpoint called every minute, with no hint, no pause, no failure and no response yet. */
export const endpoint = (
  endpointId: string,
  overrides: Partial<EndpointView> = {},
): EndpointView => ({
  endpointId,
  jobId: 'j1',
  name: endpointId,
  baseline: { kind: 'interval', everyMs: MINUTE },
  minIntervalMs: SECOND,
  maxIntervalMs: HOUR,
  paused: null,
  hints: { interval: null, oneShot: null },
  consecutiveFailures: 0,
  latest: null,
  ...overrides,
});

/** A neighbour across a declared gate edge (`<upstream>.<downstream>`), in another job. */
export const neighbour = (
  endpointId: string,
  overrides: Partial<NeighbourView> = {},
): NeighbourView => ({
  ...endpoint(endpointId, { jobId: 'j2' }),
  edgeId: `edge-${endpointId}`,
  mode: 'gate',
  ...overrides,
});

/** A 200 response with `body`, recorded at T0 (override any field). */
export const response = (
  body: unknown,
  overrides: Partial<ResponseSummary> = {},
): ResponseSummary => ({
  runId: 'run-1',
  position: 41,
  respondedAt: iso(T0),
  status: 200,
  ok: true,
  durationMs: 35,
  body,
  ...overrides,
});

/** A 503 response recorded at T0. */
export const failure = (body: unknown = { error: 'unavailable' }): ResponseSummary =>
  response(body, { status: 503, ok: false, error: 'HTTP 503' });

/** A live hint that lapses `expiresInMs` after T0 (negative: lapsed). */
export const hint = (
  source: HintSource,
  expiresInMs: number,
  fields: { intervalMs?: number; runAt?: string; reason?: string } = {},
): LiveHintView => ({
  hintId: `h-${source}-${expiresInMs}`,
  source,
  expiresAt: iso(T0 + expiresInMs),
  reason: 'a reason',
  ...fields,
});

/** A live interval hint. */
export const intervalHint = (
  source: HintSource,
  intervalMs: number,
  expiresInMs: number,
  reason = `set to ${intervalMs} ms`,
): LiveHintView => hint(source, expiresInMs, { intervalMs, reason });

/** A refusal of a proposal for `target`, recorded `agoMs` before T0. */
export const refusal = (target: string, rule: string, agoMs: number): RefusalView => ({
  proposalId: `p-${target}-${rule}-${agoMs}`,
  targetEndpointId: target,
  rule,
  detail: `refused by ${rule}`,
  at: iso(T0 - agoMs),
});

export interface ContextSpec {
  /** The latest response's body (a 200 at T0); omit for an endpoint with no response yet. */
  readonly body?: unknown;
  /** The latest response itself, when it is not a plain 200. */
  readonly latest?: ResponseSummary;
  readonly self?: Partial<EndpointView>;
  readonly siblings?: readonly EndpointView[];
  readonly upstreams?: readonly NeighbourView[];
  readonly downstreams?: readonly NeighbourView[];
  readonly refusals?: readonly RefusalView[];
}

/** The context of a session for `self` at T0. */
export function context(spec: ContextSpec = {}): PlannerContext {
  const latest = spec.latest ?? ('body' in spec ? response(spec.body) : null);
  const self = endpoint('self', { latest, ...spec.self });
  return {
    tenantId: 't1',
    now: iso(T0),
    endpoint: {
      ...self,
      recent: self.latest ? [self.latest] : [],
      health: [{ windowMs: HOUR, runs: 12, failures: 0, p50DurationMs: 35 }],
    },
    siblings: spec.siblings ?? [],
    upstreams: spec.upstreams ?? [],
    downstreams: spec.downstreams ?? [],
    refusals: spec.refusals ?? [],
    basedOnPosition: 41,
    trigger: { runId: 'run-1', position: 41 },
  };
}

const accept: DraftCheck = { outcome: 'accept' };
const reject = (rule: string, detail: string): DraftCheck => ({ outcome: 'reject', rule, detail });

/**
 * A dry-run arbiter over the context's views: a pause (or a paused target) wins over planner
 * proposals, a live user or cascade hint in the slot outranks them, and clearing nothing or
 * pausing what is paused is a noop. Everything else is accepted.
 */
export const arbiterOf =
  (ctx: PlannerContext) =>
  (draft: ProposalDraft): DraftCheck => {
    const now = Date.parse(ctx.now);
    const target = [ctx.endpoint, ...ctx.downstreams, ...ctx.upstreams, ...ctx.siblings].find(
      (e) => e.endpointId === draft.targetEndpointId,
    );
    if (!target) return reject('ownership', `${draft.targetEndpointId} is not in the context`);
    const live = (h: LiveHintView | null) => (h && Date.parse(h.expiresAt) > now ? h : null);
    const paused =
      target.paused !== null &&
      (target.paused.until === null || Date.parse(target.paused.until) > now);
    const { action } = draft;
    if (action.kind === 'pause') return paused ? reject('noop', 'already paused') : accept;
    if (paused) return reject('pause_wins', `${target.endpointId} is paused`);
    const slots = action.kind === 'clear' ? action.slots : [action.kind];
    for (const slot of slots) {
      const h = live(target.hints[slot]);
      if (h && h.source !== 'planner') return reject('precedence', `a live ${h.source} hint`);
    }
    if (action.kind === 'clear' && slots.every((slot) => !live(target.hints[slot]))) {
      return reject('noop', 'no hint to clear');
    }
    return accept;
  };

/** A dry run that refuses every draft for `targets` (all, when none are named) by `rule`. */
export const refusing =
  (rule: string, ...targets: string[]) =>
  (draft: ProposalDraft): DraftCheck =>
    targets.length === 0 || targets.includes(draft.targetEndpointId)
      ? reject(rule, `refused by ${rule}`)
      : accept;
