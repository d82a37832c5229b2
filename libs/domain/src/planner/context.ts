import type { ProposalAction } from '../arbiter/proposal.js';
import type { CascadeContext, HintSource } from '../events/catalogue.js';
import type { PlannerSessionData, SessionOutcome, TokenUsage, ToolCallRecord } from './session.js';

/** One recorded response as a planner sees it (times as ISO strings, the body as recorded). */
export interface ResponseSummary {
  readonly runId: string;
  /** Log position of its ResponseRecorded. */
  readonly position: number;
  readonly respondedAt: string;
  readonly status: number | null;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly body: unknown;
  readonly error?: string;
  /** Set when a cascade caused the run. */
  readonly cascade?: CascadeContext;
}

/** Runs and failures over one window ending now. */
export interface HealthWindow {
  readonly windowMs: number;
  readonly runs: number;
  readonly failures: number;
  /** Median call duration (null without runs). */
  readonly p50DurationMs: number | null;
}

export interface LiveHintView {
  readonly hintId: string;
  readonly source: HintSource;
  readonly expiresAt: string;
  readonly intervalMs?: number;
  readonly runAt?: string;
  readonly reason: string;
}

/** An endpoint as a planner sees it: its schedule, its state and its latest response. */
export interface EndpointView {
  readonly endpointId: string;
  readonly jobId: string;
  readonly name: string;
  readonly baseline:
    | { readonly kind: 'interval'; readonly everyMs: number }
    | { readonly kind: 'cron'; readonly expression: string; readonly timezone?: string }
    | { readonly kind: 'none' };
  readonly minIntervalMs: number;
  readonly maxIntervalMs: number | null;
  readonly paused: { readonly until: string | null; readonly reason: string } | null;
  readonly hints: { readonly interval: LiveHintView | null; readonly oneShot: LiveHintView | null };
  readonly consecutiveFailures: number;
  readonly latest: ResponseSummary | null;
}

/** A neighbour across a declared edge (in any job of the tenant). */
export interface NeighbourView extends EndpointView {
  readonly edgeId: string;
  readonly mode: 'trigger' | 'gate';
}

/** A recent refusal of a proposal this planner made (it should not repeat it blindly). */
export interface RefusalView {
  readonly proposalId: string;
  readonly targetEndpointId: string;
  readonly rule: string;
  readonly detail: string;
  readonly at: string;
}

/**
 * Everything one planner session may know about one endpoint: its own history and health,
 * its siblings (same job), its declared upstreams and downstreams in any job, live hints, and
 * its recent refusals. Read at one log position (`basedOnPosition`).
 */
export interface PlannerContext {
  readonly tenantId: string;
  /** The session's time (ISO): TTLs and "until" instants are measured from it. */
  readonly now: string;
  readonly endpoint: EndpointView & {
    /** Recent responses, oldest first. */
    readonly recent: readonly ResponseSummary[];
    readonly health: readonly HealthWindow[];
  };
  readonly siblings: readonly EndpointView[];
  readonly upstreams: readonly NeighbourView[];
  readonly downstreams: readonly NeighbourView[];
  readonly refusals: readonly RefusalView[];
  readonly basedOnPosition: number;
  /** The response that started the session. */
  readonly trigger: { readonly runId: string; readonly position: number };
}

/** A proposal as a planner drafts it; the session runner makes it a {@link Proposal}. */
export interface ProposalDraft {
  readonly targetEndpointId: string;
  readonly action: ProposalAction;
  readonly reason: string;
}

/** What the arbiter would answer now (a dry run; the real decision is made when applied). */
export interface DraftCheck {
  readonly outcome: 'accept' | 'reject';
  readonly rule?: string;
  readonly detail?: string;
  readonly clamped?: {
    readonly requested: number;
    readonly applied: number;
    readonly bound: 'min' | 'max';
  };
}

/** What a planner may ask for during a session, beyond its context. */
export interface PlannerTools {
  /** Recent responses of an endpoint in the context (self, sibling, upstream, downstream), oldest first. */
  responseHistory(endpointId: string, limit: number): Promise<readonly ResponseSummary[]>;
  /** The arbiter's answer to a draft, were it applied now. */
  check(draft: ProposalDraft): DraftCheck;
}

/** The result of one planner run, before its proposals are decided. */
export interface PlanResult {
  readonly outcome: SessionOutcome;
  readonly detail?: string;
  readonly reasoning: string;
  readonly proposals: readonly ProposalDraft[];
  readonly toolCalls: readonly ToolCallRecord[];
  readonly usage: TokenUsage;
  readonly model?: string;
}

/** A planner: the heuristic, or a model. Never writes anything; it proposes. */
export interface PlannerBackend {
  readonly name: PlannerSessionData['planner'];
  plan(input: {
    readonly context: PlannerContext;
    readonly tools: PlannerTools;
    readonly signal?: AbortSignal;
  }): Promise<PlanResult>;
}

/** No model call, no token. */
export const NO_TOKENS: TokenUsage = Object.freeze({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  modelCalls: 0,
});

/** A plan that ended before proposing anything: refused by a budget, or failed. */
export const endedPlan = (outcome: SessionOutcome, detail: string): PlanResult => ({
  outcome,
  detail,
  reasoning: '',
  proposals: [],
  toolCalls: [],
  usage: NO_TOKENS,
});
