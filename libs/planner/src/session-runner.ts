import {
  defaultPlannerSettings,
  endedPlan,
  foldWith,
  heuristicBackend,
  holdsOf,
  jobDecider,
  jobStream,
  toIso,
  type EndpointState,
  type EventStore,
  type JobState,
  type Millis,
  type PlanResult,
  type PlannerBackend,
  type PlannerContext,
  type PlannerSettings,
} from '@orrery/domain';
import { jobSnapshot, type SchedulingDb } from '@orrery/scheduling';
import {
  endSpan,
  noopInstrumentation,
  TRACE_ATTRIBUTES,
  type Instrumentation,
  withSpan,
} from '@orrery/telemetry';
import type { Logger } from 'pino';
import { commitSession, type CommittedSession, type JobInputs } from './commit-session.js';
import { ContextReader } from './context-reader.js';
import { PlannerMetrics } from './planner-metrics.js';
import { recordDecisions, startSessionSpan } from './planner-spans.js';
import { plannerTools } from './planner-tools.js';
import { plannerDb } from './tables.js';
import { PlannerUsage } from './usage.js';

/** The analysis budget of each tenant, over a sliding window: model sessions and tokens. */
export interface AnalysisBudget {
  readonly windowMs: number;
  readonly sessions: number;
  readonly tokens: number;
}

export interface SessionRunnerOptions {
  readonly db: SchedulingDb;
  readonly store: EventStore;
  readonly log: Logger;
  readonly now: () => Millis;
  /** The model planner, when configured (ANTHROPIC_API_KEY); jobs on `auto` use it then. */
  readonly claude?: PlannerBackend;
  readonly budget: AnalysisBudget;
  /** A session that takes longer is abandoned: nothing applied. */
  readonly sessionTimeoutMs: number;
  /** Counts sessions and tokens (docs/observability.md). Default: no-ops. */
  readonly instrumentation?: Instrumentation;
}

/** The response a session starts from (the latest of those its debounce gathered). */
export interface SessionTrigger {
  readonly tenantId: string;
  readonly endpointId: string;
  readonly runId: string;
  readonly position: number;
}

/**
 * Runs one planner session for one endpoint: reads its context, asks the job's planner
 * (heuristic or Claude) for proposals, and commits them through the arbiter with the session's
 * record (see {@link commitSession}). Model sessions count against the tenant's analysis
 * budget; a session refused by it is recorded once per endpoint and window. A heuristic
 * session that proposes nothing leaves no record (it would only say "nothing to do").
 */
export class SessionRunner {
  readonly #reader: ContextReader;
  readonly #usage: PlannerUsage;
  readonly #metrics: PlannerMetrics;
  /** Endpoints whose budget refusal is on record, and until when it stands. */
  readonly #refused = new Map<string, Millis>();

  constructor(private readonly options: SessionRunnerOptions) {
    this.#reader = new ContextReader(options);
    this.#usage = new PlannerUsage(plannerDb(options.db));
    this.#metrics = new PlannerMetrics((options.instrumentation ?? noopInstrumentation).meter);
  }

  /**
   * Runs one session; `stop` aborts it (a model call in flight is abandoned, nothing applied).
   * Traced as `orrery.planner.session`, with a child `orrery.arbiter.decision` per proposal
   * decided (docs/tracing.md).
   */
  async run(trigger: SessionTrigger, stop?: AbortSignal): Promise<CommittedSession | null> {
    const { tracer } = this.options.instrumentation ?? noopInstrumentation;
    const span = startSessionSpan(tracer, {
      tenantId: trigger.tenantId,
      endpointId: trigger.endpointId,
      sessionId: `ps-${trigger.position}`,
    });
    try {
      // Active while the session runs: each model call is a child span (docs/tracing.md).
      const committed = await withSpan(span, () => this.#run(trigger, stop));
      span.setAttribute(TRACE_ATTRIBUTES.plannerOutcome, committed ? 'committed' : 'skipped');
      if (committed) recordDecisions(tracer, span, trigger.tenantId, committed.proposals);
      endSpan(span);
      return committed;
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
  }

  async #run(trigger: SessionTrigger, stop?: AbortSignal): Promise<CommittedSession | null> {
    const { tenantId, endpointId } = trigger;
    const { log, now } = this.options;
    const state = await this.#reader.state(tenantId, endpointId);
    if (state.status !== 'active') return null;
    const settings = await this.#settings(tenantId, state.jobId);
    if (!settings.enabled) return null;
    const backend = this.#backend(settings);
    const startedAt = now();
    const sessionId = `ps-${trigger.position}`;
    if (backend.name === 'claude') {
      const refusal = await this.#overBudget(tenantId, startedAt);
      if (refusal !== null) {
        const key = `${tenantId}\n${endpointId}`;
        if ((this.#refused.get(key) ?? 0) > startedAt) return null;
        this.#refused.set(key, startedAt + this.options.budget.windowMs);
        log.warn({ tenantId, endpointId, refusal }, 'planner session refused: analysis budget');
        const refused = endedPlan('refused', refusal);
        const committed = await this.#commit(
          state,
          trigger,
          sessionId,
          startedAt,
          backend,
          refused,
          { basedOnPosition: trigger.position },
        );
        this.#metrics.session(backend, refused.outcome, refused.usage);
        return committed;
      }
    }
    const { context, states } = await this.#reader.read(state, trigger, startedAt);
    const jobIds = [...new Set([...states.values()].map((s) => s.jobId))];
    const jobs = new Map(
      await Promise.all(
        jobIds.map(async (id) => [id, await this.#jobInputs(tenantId, id)] as const),
      ),
    );
    const result = await backend
      .plan({
        context,
        tools: plannerTools(this.#reader, this.options.now, { context, states, jobs }),
        signal: AbortSignal.any([
          AbortSignal.timeout(this.options.sessionTimeoutMs),
          ...(stop ? [stop] : []),
        ]),
      })
      .catch((error: unknown) =>
        endedPlan('failed', error instanceof Error ? error.message : String(error)),
      );
    this.#metrics.session(backend, result.outcome, result.usage);
    if (
      backend.name === 'heuristic' &&
      result.outcome === 'completed' &&
      result.proposals.length === 0
    ) {
      return null;
    }
    const committed = await this.#commit(
      state,
      trigger,
      sessionId,
      startedAt,
      backend,
      result,
      context,
    );
    const at = now();
    if (backend.name === 'claude') {
      const u = result.usage;
      await this.#usage.add(tenantId, 'tenant', at, {
        sessions: 1,
        tokens: u.inputTokens + u.outputTokens,
      });
    }
    for (const [jobId, runs] of committed.extraRuns) {
      await this.#usage.add(tenantId, `job:${jobId}`, at, { extraRuns: runs });
    }
    log.debug(
      {
        sessionId,
        endpointId,
        planner: backend.name,
        outcome: result.outcome,
        proposals: committed.proposals.length,
      },
      'planner session',
    );
    return committed;
  }

  #commit(
    state: EndpointState,
    trigger: SessionTrigger,
    sessionId: string,
    startedAt: Millis,
    backend: PlannerBackend,
    result: PlanResult,
    context: Pick<PlannerContext, 'basedOnPosition'> & Partial<PlannerContext>,
  ): Promise<CommittedSession> {
    const { tenantId, endpointId } = trigger;
    const cascade = context.endpoint?.latest?.cascade;
    return commitSession(
      {
        store: this.options.store,
        now: this.options.now,
        state: (id) => this.#reader.state(tenantId, id),
        job: (jobId) => this.#jobInputs(tenantId, jobId),
      },
      {
        tenantId,
        record: {
          sessionId,
          endpointId,
          jobId: state.jobId,
          planner: backend.name,
          ...(result.model === undefined ? {} : { model: result.model }),
          trigger: { runId: trigger.runId, position: trigger.position },
          basedOnPosition: context.basedOnPosition,
          startedAt: toIso(startedAt),
          durationMs: Math.max(0, this.options.now() - startedAt),
          outcome: result.outcome,
          ...(result.detail === undefined ? {} : { detail: result.detail.slice(0, 2000) }),
          reasoning: result.reasoning.slice(0, 8000),
          toolCalls: result.toolCalls.slice(0, 64),
          usage: result.usage,
        },
        drafts: result.proposals.slice(0, 64),
        apply: result.outcome === 'completed',
        ...(cascade ? { cascade } : {}),
        metadata: {
          tenantId,
          actor: { kind: 'planner', id: sessionId },
          causationId: trigger.runId,
        },
      },
    );
  }

  /** A job as the arbiter takes it: policy, budget used, holds. */
  async #jobInputs(tenantId: string, jobId: string): Promise<JobInputs> {
    const job = await this.#job(tenantId, jobId);
    const policy = job?.planner.policy ?? defaultPlannerSettings.policy;
    const window = policy.budget.windowMs;
    const used = await this.#usage.sum(tenantId, `job:${jobId}`, window, this.options.now());
    return { policy, extraRuns: used.extraRuns, holds: holdsOf(job) };
  }

  async #settings(tenantId: string, jobId: string): Promise<PlannerSettings> {
    return (await this.#job(tenantId, jobId))?.planner ?? defaultPlannerSettings;
  }

  /** The job's current state: the read model's copy and the log's tail after it (null: none). */
  async #job(tenantId: string, jobId: string): Promise<JobState | null> {
    const snapshot = await jobSnapshot(this.options.db, tenantId, jobId);
    const from = snapshot ?? jobDecider.initialState();
    const tail = await this.options.store.readStream(jobStream(tenantId, jobId), {
      fromVersion: from.version + 1,
    });
    const state = foldWith(jobDecider, tail, from);
    return state.status === 'unregistered' ? null : state;
  }

  #backend(settings: PlannerSettings): PlannerBackend {
    const { claude } = this.options;
    if (claude && settings.backend !== 'heuristic') return claude;
    return heuristicBackend;
  }

  async #overBudget(tenantId: string, now: Millis): Promise<string | null> {
    const { windowMs, sessions, tokens } = this.options.budget;
    const used = await this.#usage.sum(tenantId, 'tenant', windowMs, now);
    const minutes = Math.round(windowMs / 60_000);
    if (used.sessions >= sessions)
      return `${used.sessions} of ${sessions} sessions used in ${minutes} min`;
    if (used.tokens >= tokens) return `${used.tokens} of ${tokens} tokens used in ${minutes} min`;
    return null;
  }
}
