import { z } from 'zod';
import { EndpointConfig, HttpRequest } from '../endpoint/config.js';
import { EdgeDefinition } from '../graph/edge.js';
import { PipelineAppliedData } from '../pipeline/events.js';
import { PlannerSettings } from '../planner/settings.js';
import { PlannerSessionData } from '../planner/session.js';

const Instant = z.iso.datetime({ offset: true });
const Id = z.string().min(1);
const Clamped = z.strictObject({
  requested: z.number(),
  applied: z.number(),
  bound: z.enum(['min', 'max']),
});

/**
 * Who proposed a hint, highest rank first: a person (`user`: the API, the CLI), a declared
 * dependency (`cascade`), an operator's agent (`agent`: a tool client such as the MCP server,
 * acting with a tenant's key), the planner (`planner`). See docs/adaptation.md.
 */
export const HintSource = z.enum(['user', 'cascade', 'agent', 'planner']);
export type HintSource = z.infer<typeof HintSource>;
export const HintSlot = z.enum(['interval', 'oneShot']);
export type HintSlot = z.infer<typeof HintSlot>;

const HintCommon = {
  hintId: Id,
  source: HintSource,
  sourceId: Id,
  reason: z.string().max(2000),
  expiresAt: Instant,
  /** Log position the proposer based its decision on, when it read the log. */
  basedOnPosition: z.number().int().nonnegative().optional(),
  /** Set when the requested value was clamped to the endpoint's bounds. */
  clamped: Clamped.optional(),
  /** When the arbiter accepted it (absent in events written before it was recorded). */
  proposedAt: Instant.optional(),
  /** Planner proposals: the endpoint whose analysis produced it. */
  fromEndpointId: Id.optional(),
  /** Planner proposals: the extra runs it induces, counted against the budget. */
  extraRuns: z.number().int().nonnegative().optional(),
};

/** The kinds of proposal the arbiter decides. */
export const ProposalKind = z.enum(['interval', 'oneShot', 'pause', 'clear']);

export const HintSpec = z.discriminatedUnion('slot', [
  z.strictObject({
    slot: z.literal('interval'),
    intervalMs: z.number().int().positive(),
    /** Automated (non-user) interval hints: the way they moved the interval, and if it turned. */
    steering: z
      .strictObject({ direction: z.enum(['faster', 'slower']), change: z.boolean() })
      .optional(),
    ...HintCommon,
  }),
  z.strictObject({ slot: z.literal('oneShot'), runAt: Instant, ...HintCommon }),
]);
export type HintSpec = z.infer<typeof HintSpec>;

const RunError = z.strictObject({
  kind: z.enum(['timeout', 'network', 'too_large', 'refused', 'internal', 'template']),
  message: z.string(),
});

/**
 * A cascade's causation chain: the run it started from, how many hops deep this run is (0 for
 * a run of the endpoint's own schedule), and the endpoints from the root to this one.
 */
export const CascadeContext = z.strictObject({
  root: Id,
  depth: z.number().int().nonnegative(),
  chain: z.array(Id).min(1),
});
export type CascadeContext = z.infer<typeof CascadeContext>;

/** Which upstream response a decision took as its input. */
export const ObservationRef = z.strictObject({
  endpointId: Id,
  runId: Id,
  /** The log position of its ResponseRecorded. */
  position: z.number().int().nonnegative(),
  respondedAt: Instant,
  status: z.number().int().nullable(),
  ok: z.boolean(),
});
export type ObservationRef = z.infer<typeof ObservationRef>;

/**
 * The event catalogue: each type has a schema version and a zod schema for
 * its data. Names are part of the contract; bump `version` (and add an
 * upcaster) when a schema changes incompatibly.
 */
export const catalogue = {
  EndpointRegistered: {
    version: 1,
    schema: z.strictObject({
      endpointId: Id,
      jobId: Id,
      tenantId: Id,
      config: EndpointConfig,
      registeredAt: Instant,
    }),
  },
  EndpointReconfigured: { version: 1, schema: z.strictObject({ config: EndpointConfig }) },
  EndpointArchived: { version: 1, schema: z.strictObject({ reason: z.string().default('') }) },
  /**
   * An edge of the tenant's dependency graph. Recorded on the tenant's graph stream (where
   * acyclicity is decided) and, in the same atomic append, on the downstream's stream (the
   * input of its gate and fan-in decisions).
   */
  DependencyDeclared: { version: 1, schema: EdgeDefinition },
  DependencyRemoved: {
    version: 1,
    schema: z.strictObject({
      edgeId: Id,
      upstreamEndpointId: Id,
      downstreamEndpointId: Id,
      reason: z.string().default(''),
    }),
  },
  RunDispatched: {
    version: 1,
    schema: z.strictObject({
      runId: Id,
      /** The slot: when the governor said the run was due. */
      scheduledFor: Instant,
      /** When the dispatch was decided (earlier than the slot for a run dispatched ahead). */
      dispatchedAt: Instant,
      /**
       * Set when the run was dispatched ahead of its time: the call starts then, never before
       * (the governor's due time: the slot, plus jitter or a clamp's delay). Later than
       * `dispatchedAt`; the lease counts from it. Absent: the run was due when dispatched.
       */
      startAt: Instant.optional(),
      leaseUntil: Instant,
      /** 1 for the first dispatch of a slot; more when a lapsed lease re-dispatches it. */
      attempt: z.number().int().positive(),
      reason: z.string(),
      hintId: Id.optional(),
      /** Set when a cascade caused the run: its causation chain. */
      cascade: CascadeContext.optional(),
    }),
  },
  ResponseRecorded: {
    version: 1,
    schema: z.strictObject({
      runId: Id,
      startedAt: Instant,
      finishedAt: Instant,
      durationMs: z.number().nonnegative(),
      status: z.number().int().nullable(),
      ok: z.boolean(),
      headers: z.record(z.string(), z.string()),
      body: z.unknown(),
      bodyTruncated: z.boolean(),
      error: RunError.optional(),
      /** A test run: recorded, but with no effect on the schedule. */
      test: z.boolean().default(false),
      /** The causation chain of the run (a cascade's run), copied from its dispatch. */
      cascade: CascadeContext.optional(),
    }),
  },
  /**
   * A slot (or a cascade's run) that did not run: a closed gate (`gate_closed`, with the edge and
   * what it saw), or a cascade's template that could not be rendered (`template_failed`).
   */
  RunSkipped: {
    version: 1,
    schema: z.strictObject({
      scheduledFor: Instant,
      reason: z.string(),
      detail: z.string().default(''),
      edgeId: Id.optional(),
      /** The gate's input: the upstream response it judged (null: none seen yet). */
      saw: ObservationRef.nullable().optional(),
      /** The one-shot hint or the cascade whose run this was, spent by the skip. */
      hintId: Id.optional(),
      cascadeId: Id.optional(),
    }),
  },
  HintProposed: { version: 1, schema: HintSpec },
  /**
   * A proposal the arbiter refused, with the rule and the decision it met. Every proposal ends
   * in exactly one outcome: this, or the event that carries it out (HintProposed, Paused,
   * HintsCleared).
   */
  HintRejected: {
    // v2: `kind` is required. v1 events lack it when written before pause and clear proposals;
    // they are upcast when read, `kind` taken from `slot` (see upcasters.ts).
    version: 2,
    schema: z.strictObject({
      proposalId: Id,
      /** The hint slot asked for (interval and one-shot proposals). */
      slot: HintSlot.optional(),
      /** What was proposed. */
      kind: ProposalKind,
      source: HintSource,
      sourceId: Id,
      fromEndpointId: Id.optional(),
      /** One of the arbiter's rules (ARBITER_RULES). */
      rule: z.string(),
      detail: z.string(),
      basedOnPosition: z.number().int().nonnegative().optional(),
      /** The live decision that won: a higher source's hint, or the pause. */
      winner: z
        .strictObject({
          kind: z.enum(['hint', 'pause']),
          hintId: Id.optional(),
          source: HintSource.optional(),
          until: Instant.nullable().optional(),
        })
        .optional(),
      /** anti_thrash: direction changes are refused until then. */
      cooldownUntil: Instant.optional(),
      /** What was asked, for the record (the interval, the run time, the pause's end). */
      requested: z.record(z.string(), z.unknown()).optional(),
    }),
  },
  HintExpired: {
    version: 1,
    schema: z.strictObject({ hintId: Id, slot: HintSlot, expiresAt: Instant }),
  },
  /** A live hint replaced by a newer one in its slot (the older hint's outcome). */
  HintSuperseded: {
    version: 1,
    schema: z.strictObject({ hintId: Id, slot: HintSlot, byHintId: Id }),
  },
  HintsCleared: {
    version: 1,
    schema: z.strictObject({
      slots: z.array(HintSlot).min(1),
      reason: z.string().default(''),
      /** Set when a proposal (through the arbiter) cleared them. */
      proposalId: Id.optional(),
      source: HintSource.optional(),
      /** The hints cleared (their outcome); absent in events written before it was recorded. */
      hintIds: z.array(Id).default([]),
    }),
  },
  Paused: {
    version: 1,
    schema: z.strictObject({
      /** null pauses until resumed. */
      until: Instant.nullable(),
      reason: z.string().default(''),
      /** Set when a proposal (through the arbiter) paused it. */
      proposalId: Id.optional(),
      source: HintSource.optional(),
      clamped: Clamped.optional(),
    }),
  },
  Resumed: { version: 1, schema: z.strictObject({ reason: z.string().default('') }) },
  /**
   * On a downstream's stream: an upstream response as its edge judged it — satisfied or not,
   * its correlation value — the input of every gate, fan-in and breaker decision. A satisfying
   * response on a trigger edge keeps its body and headers (templates read them).
   */
  UpstreamObserved: {
    version: 1,
    schema: z.strictObject({
      edgeId: Id,
      response: ObservationRef,
      satisfied: z.boolean(),
      correlation: z.string().nullable(),
      /** Why the condition or correlation could not be evaluated (then not satisfied). */
      error: z.string().optional(),
      body: z.unknown().optional(),
      headers: z.record(z.string(), z.string()).optional(),
      cascade: CascadeContext,
    }),
  },
  /** A downstream's fan-in fired: a run is due now, with the request its templates rendered. */
  CascadeTriggered: {
    version: 1,
    schema: z.strictObject({
      cascadeId: Id,
      /** When it fired: the run is due from then. */
      triggeredAt: Instant,
      /** The upstream responses that satisfied the fan-in, one per edge used. */
      inputs: z
        .array(
          z.strictObject({
            edgeId: Id,
            response: ObservationRef,
            /** The upstream response's trace context: the fan-in's trigger span links to it. */
            traceparent: z.string().optional(),
          }),
        )
        .min(1),
      correlation: z.string().nullable(),
      cascade: CascadeContext,
      /** The request to send (secret values stay sealed); absent when `templateError` is set. */
      request: HttpRequest.optional(),
      templateError: z.strictObject({ field: z.string(), message: z.string() }).optional(),
    }),
  },
  /** A cascade refused by its safety rules: too deep, a loop, or too many waiting. */
  CascadeRefused: {
    version: 1,
    schema: z.strictObject({
      edgeId: Id,
      upstreamRunId: Id,
      rule: z.enum(['depth_limit', 'loop', 'backlog']),
      detail: z.string(),
      cascade: CascadeContext,
    }),
  },
  /** The edge's breaker opened: the downstream is held (`upstream_failing`). */
  UpstreamFailing: {
    version: 1,
    schema: z.strictObject({ edgeId: Id, failures: z.number().int().positive() }),
  },
  /** The edge's breaker closed: its upstream succeeded again. */
  UpstreamRecovered: {
    version: 1,
    schema: z.strictObject({ edgeId: Id, upstreamRunId: Id }),
  },
  /**
   * On a pipeline's stream (`pipeline-<tenant>.<name>`): a document applied, with every job,
   * endpoint and edge it declares (see PipelineAppliedData). Appended in the same atomic append
   * as the events of the jobs, endpoints and graph it changed.
   */
  PipelineApplied: { version: 1, schema: PipelineAppliedData },
  /**
   * On the analysed endpoint's planner stream: one planner session — its context, tool calls,
   * reasoning, token use, and the outcome of each proposal — appended atomically with those
   * outcomes (a session that failed or was refused applies nothing).
   */
  PlannerSessionRecorded: { version: 1, schema: PlannerSessionData },
  TenantCreated: {
    version: 1,
    schema: z.strictObject({ tenantId: Id, name: z.string().min(1).max(200) }),
  },
  ApiKeyCreated: {
    version: 1,
    schema: z.strictObject({
      keyId: Id,
      name: z.string().max(200),
      /** SHA-256 of the key's secret part (hex); the key itself is shown once and never stored. */
      secretHash: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  },
  ApiKeyRevoked: {
    version: 1,
    schema: z.strictObject({ keyId: Id, reason: z.string().default('') }),
  },
  /**
   * Every API key of the tenant is refused from this event on (403), until TenantEnabled. It is
   * also the input for holding the tenant's endpoints, which is the scheduler's to apply.
   */
  TenantDisabled: {
    version: 1,
    schema: z.strictObject({ reason: z.string().default('') }),
  },
  /** Lifts TenantDisabled: the tenant's keys that are not revoked work again. */
  TenantEnabled: {
    version: 1,
    schema: z.strictObject({ reason: z.string().default('') }),
  },
  JobCreated: {
    version: 1,
    schema: z.strictObject({
      jobId: Id,
      tenantId: Id,
      name: z.string().min(1).max(200),
      description: z.string().max(2000).default(''),
      /** The job's planner: on with the heuristic and the default arbiter policy when absent. */
      planner: PlannerSettings.optional(),
    }),
  },
  JobUpdated: {
    version: 1,
    schema: z.strictObject({
      name: z.string().min(1).max(200).optional(),
      description: z.string().max(2000).optional(),
      planner: PlannerSettings.optional(),
    }),
  },
  JobArchived: { version: 1, schema: z.strictObject({ reason: z.string().default('') }) },
  /** On the job stream: it holds every endpoint of the job (an input of their schedules). */
  JobPaused: {
    version: 1,
    schema: z.strictObject({ until: Instant.nullable(), reason: z.string().default('') }),
  },
  JobResumed: { version: 1, schema: z.strictObject({ reason: z.string().default('') }) },
} as const;

type Catalogue = typeof catalogue;
export type EventType = keyof Catalogue;
export const eventTypes = Object.keys(catalogue) as EventType[];

/** The data of an event of type T, after parsing (defaults applied). */
export type EventData<T extends EventType> = z.output<Catalogue[T]['schema']>;
/** The data of an event of type T as a producer may write it (defaults optional). */
export type EventDataInput<T extends EventType> = z.input<Catalogue[T]['schema']>;
