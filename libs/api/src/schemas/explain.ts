import { z } from 'zod';
import { ActorKindSchema } from './events.js';
import { Id, Instant, responseBody } from './common.js';
import { explanationExample } from './explain-example.js';
import { CascadeDecisionInputs, CascadeEventView, DependenciesView } from './explain-cascade.js';

export const ExplainParams = z.strictObject({ endpointId: Id });

/** A point of the log to replay up to: a position (inclusive) or an instant. */
export const LogPoint = z.union(
  [
    z
      .string()
      .regex(/^\d{1,15}$/)
      .describe('A log position'),
    Instant,
  ],
  {
    error: 'a log position (a non-negative integer) or an ISO-8601 instant',
  },
);

export const ExplainQuery = z.strictObject({
  at: LogPoint.optional().describe(
    'Replay: fold the log only up to this position (inclusive) or instant (recorded at or ' +
      'before it) and ask the governor at that time. Default: now, with the whole log.',
  ),
  recent: z.coerce
    .number()
    .int()
    .min(0)
    .max(100)
    .default(10)
    .describe('How many recent dispatches and hint events to include'),
});

const HintSource = z.enum(['user', 'cascade', 'agent', 'planner']);
const HintSlot = z.enum(['interval', 'oneShot']);

const Baseline = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('interval'), everyMs: z.number().int() }),
  z.object({ kind: z.literal('cron'), expression: z.string(), timezone: z.string() }),
  z.object({ kind: z.literal('none') }),
]);

const LiveHint = z.object({
  hintId: z.string(),
  source: HintSource,
  sourceId: z.string(),
  reason: z.string(),
  expiresAt: Instant,
  /** Whether the hint is still in force at `asOf.time` (an expired one awaits HintExpired). */
  live: z.boolean(),
});

const Inputs = z
  .object({
    now: Instant,
    status: z.enum(['unregistered', 'active', 'archived']),
    pause: z
      .object({ until: Instant.nullable(), reason: z.string(), lapsed: z.boolean() })
      .nullable(),
    job: z
      .object({
        jobId: z.string(),
        version: z.number().int().describe('The job stream version the hold was read at'),
        archived: z.boolean(),
        pause: z
          .object({
            until: Instant.nullable(),
            reason: z.string(),
            actor: z.object({ kind: z.string(), id: z.string() }),
          })
          .nullable(),
      })
      .nullable()
      .describe("The job's hold: its pause (with who paused it and why) and whether archived"),
    tenant: z
      .object({
        tenantId: z.string(),
        disabled: z
          .object({ reason: z.string(), actor: z.object({ kind: z.string(), id: z.string() }) })
          .nullable(),
      })
      .nullable()
      .describe("The tenant's hold: disabled (by whom, why), or null"),
    baseline: Baseline.nullable(),
    anchor: z
      .discriminatedUnion('kind', [
        z.object({
          kind: z.literal('lastRun'),
          runId: z.string(),
          scheduledFor: Instant,
          dispatchedAt: Instant,
        }),
        z.object({ kind: z.literal('registeredAt'), at: Instant }),
      ])
      .nullable(),
    backoff: z
      .object({
        failures: z.number().int(),
        factor: z.number(),
        maxMs: z.number(),
        baseMs: z.number(),
        delayMs: z.number(),
        notBefore: Instant.nullable(),
      })
      .nullable(),
    intervalHint: z
      .object({
        hintId: z.string(),
        source: HintSource,
        sourceId: z.string(),
        intervalMs: z.number(),
        expiresAt: Instant,
      })
      .nullable(),
    oneShotHint: z
      .object({
        hintId: z.string(),
        source: HintSource,
        sourceId: z.string(),
        runAt: Instant,
        expiresAt: Instant,
        won: z.boolean(),
      })
      .nullable(),
    ignoredHints: z.array(
      z.object({
        slot: HintSlot,
        hintId: z.string(),
        expiresAt: Instant,
        why: z.enum(['expired', 'satisfied']),
      }),
    ),
    cadenceAt: Instant.nullable().describe('The baseline or interval-hint time, before jitter'),
    jitter: z.object({ slot: Instant, offsetMs: z.number(), jitterMs: z.number() }).nullable(),
    candidate: Instant.nullable().describe('The time before the min/max clamp'),
    clamp: z
      .object({ bound: z.enum(['min', 'max']), limit: Instant, intervalMs: z.number() })
      .nullable(),
    inFlight: z.object({ runId: z.string(), leaseUntil: Instant, attempt: z.number() }).nullable(),
    cascade: CascadeDecisionInputs,
  })
  .meta({ id: 'ExplanationInputs', description: 'Everything the governor looked at' });

const Entry = { position: z.number().int(), recordedAt: Instant };
const Actor = z.object({ kind: ActorKindSchema, id: z.string() });

const Dispatch = z
  .object({
    ...Entry,
    runId: z.string(),
    scheduledFor: Instant,
    dispatchedAt: Instant,
    attempt: z.number().int(),
    reason: z.string(),
    hintId: z.string().nullable(),
    cascade: z
      .object({ root: z.string(), depth: z.number().int(), chain: z.array(z.string()) })
      .nullable()
      .describe("A cascade's run: its causation chain"),
  })
  .meta({ id: 'ExplanationDispatch', description: 'A RunDispatched: why a run happened' });

const HintEvent = z
  .discriminatedUnion('type', [
    z.object({
      ...Entry,
      type: z.literal('HintProposed'),
      actor: Actor,
      hintId: z.string(),
      slot: HintSlot,
      source: HintSource,
      sourceId: z.string(),
      reason: z.string(),
      expiresAt: Instant,
      intervalMs: z.number().optional(),
      runAt: Instant.optional(),
      basedOnPosition: z.number().int().optional().describe('The log position the proposer read'),
      clamped: z
        .object({ requested: z.number(), applied: z.number(), bound: z.enum(['min', 'max']) })
        .optional()
        .describe("Set when the requested value was clamped to the endpoint's bounds"),
      proposedAt: Instant.optional().describe('When the arbiter accepted it'),
      fromEndpointId: z.string().optional().describe('Planner hints: the endpoint analysed'),
      extraRuns: z
        .number()
        .int()
        .optional()
        .describe('Planner hints: extra runs counted against the budget'),
      steering: z
        .object({ direction: z.enum(['faster', 'slower']), change: z.boolean() })
        .optional()
        .describe('Automated interval hints: which way they moved the interval'),
    }),
    z.object({
      ...Entry,
      type: z.literal('HintRejected'),
      actor: Actor,
      proposalId: z.string(),
      slot: HintSlot.optional(),
      kind: z.enum(['interval', 'oneShot', 'pause', 'clear']).optional(),
      source: HintSource,
      sourceId: z.string(),
      fromEndpointId: z.string().optional(),
      rule: z.string().describe('The arbiter rule that refused it (docs/adaptation.md)'),
      detail: z.string(),
      basedOnPosition: z.number().int().optional(),
      winner: z
        .object({
          kind: z.enum(['hint', 'pause']),
          hintId: z.string().optional(),
          source: HintSource.optional(),
          until: Instant.nullable().optional(),
        })
        .optional()
        .describe('The live decision that won'),
      cooldownUntil: Instant.optional().describe('anti_thrash: changes refused until then'),
      requested: z.record(z.string(), z.unknown()).optional().describe('What was asked'),
    }),
    z.object({
      ...Entry,
      type: z.literal('HintExpired'),
      actor: Actor,
      hintId: z.string(),
      slot: HintSlot,
      expiresAt: Instant,
    }),
    z.object({
      ...Entry,
      type: z.literal('HintSuperseded'),
      actor: Actor,
      hintId: z.string(),
      slot: HintSlot,
      byHintId: z.string().describe('The hint that replaced it'),
    }),
    z.object({
      ...Entry,
      type: z.literal('HintsCleared'),
      actor: Actor,
      slots: z.array(HintSlot),
      reason: z.string(),
      hintIds: z.array(z.string()).describe('The hints cleared'),
    }),
  ])
  .meta({ id: 'ExplanationHintEvent', description: 'A hint proposed, refused, lapsed or cleared' });

const explanation = z
  .object({
    endpointId: z.string(),
    jobId: z.string(),
    asOf: z
      .object({
        position: z
          .number()
          .int()
          .describe("The last event of the endpoint's stream folded into the state"),
        time: Instant.describe('The instant the governor was asked at'),
      })
      .describe('The point of the log the answer describes'),
    streamVersion: z.number().int(),
    next: z.object({
      at: Instant.nullable().describe('When the endpoint runs next; null: never, until a change'),
      slot: Instant.nullable().describe('The schedule slot of that run (without jitter)'),
      reason: z.enum([
        'unregistered',
        'archived',
        'paused_indefinitely',
        'cron_exhausted',
        'out_of_range',
        'job_archived',
        'job_paused_indefinitely',
        'tenant_disabled',
        'trigger_only',
        'paused',
        'job_paused',
        'first_run',
        'baseline_interval',
        'baseline_cron',
        'interval_hint',
        'one_shot_hint',
        'max_interval',
        'upstream_failing',
        'cascade',
      ]),
    }),
    inputs: Inputs,
    hints: z
      .object({ interval: LiveHint.nullable(), oneShot: LiveHint.nullable() })
      .describe('The hints held in their slots, with reason, source and expiry'),
    bounds: z.object({
      minIntervalMs: z.number(),
      maxIntervalMs: z.number().nullable(),
      jitterMs: z.number(),
    }),
    dependencies: DependenciesView,
    recentDecisions: z.object({
      dispatches: z.array(Dispatch).describe('The last runs dispatched, oldest first'),
      hintEvents: z.array(HintEvent).describe('The last hint events, oldest first'),
      cascadeEvents: z
        .array(CascadeEventView)
        .describe('The last gate, fan-in and breaker decisions, oldest first'),
    }),
  })
  .describe("The governor's decision for the endpoint's next run, with all its inputs");
export type ExplanationView = z.infer<typeof explanation>;

export const ExplanationSchema = responseBody(explanation, 'Explanation', [explanationExample]);
export type ExplanationInputsView = z.infer<typeof Inputs>;
export type DispatchView = z.infer<typeof Dispatch>;
export type HintEventView = z.infer<typeof HintEvent>;
