import { z } from 'zod';
import { EndpointConfig } from '../endpoint/config.js';

const Instant = z.iso.datetime({ offset: true });
const Id = z.string().min(1);

export const HintSource = z.enum(['user', 'cascade', 'planner']);
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
  clamped: z
    .strictObject({ requested: z.number(), applied: z.number(), bound: z.enum(['min', 'max']) })
    .optional(),
};

export const HintSpec = z.discriminatedUnion('slot', [
  z.strictObject({
    slot: z.literal('interval'),
    intervalMs: z.number().int().positive(),
    ...HintCommon,
  }),
  z.strictObject({ slot: z.literal('oneShot'), runAt: Instant, ...HintCommon }),
]);
export type HintSpec = z.infer<typeof HintSpec>;

const RunError = z.strictObject({
  kind: z.enum(['timeout', 'network', 'too_large', 'refused', 'internal']),
  message: z.string(),
});

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
  DependencyDeclared: {
    version: 1,
    schema: z.strictObject({
      edgeId: Id,
      upstreamEndpointId: Id,
      downstreamEndpointId: Id,
      condition: z.string(),
      mode: z.enum(['trigger', 'gate']),
      fanIn: z.enum(['all', 'any']),
      freshnessMs: z.number().int().positive(),
    }),
  },
  DependencyRemoved: {
    version: 1,
    schema: z.strictObject({ edgeId: Id, upstreamEndpointId: Id, downstreamEndpointId: Id }),
  },
  RunDispatched: {
    version: 1,
    schema: z.strictObject({
      runId: Id,
      /** The slot: when the governor said the run was due. */
      scheduledFor: Instant,
      dispatchedAt: Instant,
      leaseUntil: Instant,
      /** 1 for the first dispatch of a slot; more when a lapsed lease re-dispatches it. */
      attempt: z.number().int().positive(),
      reason: z.string(),
      hintId: Id.optional(),
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
    }),
  },
  RunSkipped: {
    version: 1,
    schema: z.strictObject({
      scheduledFor: Instant,
      reason: z.string(),
      detail: z.string().default(''),
    }),
  },
  HintProposed: { version: 1, schema: HintSpec },
  HintRejected: {
    version: 1,
    schema: z.strictObject({
      proposalId: Id,
      slot: HintSlot,
      source: HintSource,
      sourceId: Id,
      rule: z.string(),
      detail: z.string(),
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
    }),
  },
  Resumed: { version: 1, schema: z.strictObject({ reason: z.string().default('') }) },
  CascadeTriggered: {
    version: 1,
    schema: z.strictObject({
      edgeId: Id,
      upstreamEndpointId: Id,
      upstreamRunId: Id,
      downstreamEndpointId: Id,
      depth: z.number().int().positive(),
      /** Endpoint ids from the root of the cascade to the downstream. */
      chain: z.array(Id).min(2),
    }),
  },
  PlannerSessionRecorded: {
    version: 1,
    schema: z.strictObject({
      sessionId: Id,
      planner: z.enum(['heuristic', 'claude']),
      model: z.string().optional(),
      basedOnPosition: z.number().int().nonnegative(),
      proposals: z.number().int().nonnegative(),
      durationMs: z.number().nonnegative(),
      summary: z.string(),
    }),
  },
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
    }),
  },
  JobUpdated: {
    version: 1,
    schema: z.strictObject({
      name: z.string().min(1).max(200).optional(),
      description: z.string().max(2000).optional(),
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
