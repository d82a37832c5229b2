import { ARBITER_RULES, HintSlot, HintSource, ProposalKind } from '@orrery/domain';
import { z } from 'zod';
import { Id, Instant, PageQuery } from './common.js';

/** `since` must not be after `until` (as the events' `from` and `to`). */
export const sinceBeforeUntil = (query: {
  since?: string | undefined;
  until?: string | undefined;
}): boolean =>
  query.since === undefined ||
  query.until === undefined ||
  Date.parse(query.since) <= Date.parse(query.until);
export const sinceBeforeUntilError = { message: 'must not be before since', path: ['until'] };

export const ConflictsQuery = PageQuery.extend({
  job: Id.optional().describe('Only proposals for the endpoints of this job'),
  endpoint: Id.optional().describe('Only proposals for this endpoint'),
  rule: z.enum(ARBITER_RULES).optional().describe('Only refusals by this rule of the arbiter'),
  source: HintSource.optional().describe('Only proposals from this source'),
  since: Instant.optional().describe('Refused at or after this instant (not after `until`)'),
  until: Instant.optional().describe('Refused before this instant (not before `since`)'),
}).refine(sinceBeforeUntil, sinceBeforeUntilError);

const HintMetSchema = z
  .object({
    hintId: z.string(),
    source: HintSource,
    sourceId: z.string(),
    intervalMs: z.number().int().optional().describe('Interval hints: the interval in force'),
    runAt: Instant.optional().describe('One-shot hints: when the run is due'),
    expiresAt: Instant.describe(
      'A hint that expired before the refusal (`recordedAt`) had lapsed: it counted no more',
    ),
  })
  .meta({ id: 'ConflictHint', description: 'A hint in its slot when the proposal met it' });

export const StateMetSchema = z
  .object({
    version: z.number().int().describe("The target endpoint's stream version then"),
    status: z.enum(['unregistered', 'active', 'archived']),
    pause: z
      .object({
        until: Instant.nullable().describe('null: until resumed'),
        reason: z.string(),
      })
      .nullable()
      .describe("The endpoint's own pause (a pause that ended before the refusal had lapsed)"),
    hints: z.object({ interval: HintMetSchema.nullable(), oneShot: HintMetSchema.nullable() }),
    consecutiveFailures: z.number().int().describe('Failed responses since the last success'),
  })
  .meta({
    id: 'ConflictStateMet',
    description:
      "The target endpoint's state the proposal met: folded from the log just before the refusal",
  });

export const ConflictWinnerSchema = z
  .discriminatedUnion('kind', [
    z.object({
      kind: z.literal('hint'),
      hintId: z.string().optional(),
      source: HintSource.optional(),
      sourceId: z.string().optional(),
      intervalMs: z.number().int().optional(),
      runAt: Instant.optional(),
      expiresAt: Instant.optional(),
    }),
    z.object({
      kind: z.literal('pause'),
      until: Instant.nullable().describe('null: until resumed'),
      reason: z.string().optional(),
    }),
  ])
  .meta({
    id: 'ConflictWinner',
    description:
      "The live decision that won: a higher source's hint (`precedence`: its id and source, and " +
      'its interval or run time and expiry as the proposal met it), or the pause (`pause_wins`)',
  });

export const ConflictSchema = z
  .object({
    proposalId: z.string(),
    target: z
      .object({ jobId: z.string(), endpointId: z.string() })
      .describe('The endpoint the proposal was for, and its job'),
    kind: ProposalKind.nullable().describe('What was proposed (null in refusals recorded before)'),
    slot: HintSlot.nullable().describe('The hint slot asked for (interval and one-shot proposals)'),
    source: HintSource,
    sourceId: z.string().describe('Who within the source: an API key, a planner session, an edge'),
    fromEndpointId: z
      .string()
      .nullable()
      .describe('Planner proposals: the endpoint whose analysis produced it'),
    rule: z.string().describe("The arbiter's rule that refused it (see the `rule` filter)"),
    detail: z.string().describe('Why, for a person'),
    basedOnPosition: z
      .number()
      .int()
      .nullable()
      .describe('The log position the proposer read the state at'),
    requested: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe('What was asked: the interval, the run time, the end of the pause'),
    stateMet: StateMetSchema,
    winner: ConflictWinnerSchema.nullable().describe('null when no live decision won'),
    cooldownUntil: Instant.nullable().describe(
      '`anti_thrash`: direction changes are refused until then',
    ),
    position: z.number().int().describe("The refusal's position in the log"),
    recordedAt: Instant,
  })
  .meta({
    id: 'Conflict',
    description: 'A proposal the arbiter refused, the rule, and the decision it met',
    examples: [
      {
        proposalId: 'plan-7f3a-1',
        target: { jobId: 'partner-feeds', endpointId: 'poll-payments' },
        kind: 'interval',
        slot: 'interval',
        source: 'planner',
        sourceId: 'session-7f3a',
        fromEndpointId: 'poll-payments',
        rule: 'precedence',
        detail: 'a live user hint (h-41) outranks a planner proposal',
        basedOnPosition: 1041,
        requested: { intervalMs: 5000, ttlMs: 600000 },
        stateMet: {
          version: 212,
          status: 'active',
          pause: null,
          hints: {
            interval: {
              hintId: 'h-41',
              source: 'user',
              sourceId: 'key:3be2c1d0a9f4',
              intervalMs: 60000,
              expiresAt: '2031-03-01T07:00:00.000Z',
            },
            oneShot: null,
          },
          consecutiveFailures: 0,
        },
        winner: {
          kind: 'hint',
          hintId: 'h-41',
          source: 'user',
          sourceId: 'key:3be2c1d0a9f4',
          intervalMs: 60000,
          expiresAt: '2031-03-01T07:00:00.000Z',
        },
        cooldownUntil: null,
        position: 1044,
        recordedAt: '2031-03-01T06:12:09.412Z',
      },
    ],
  });
export type ConflictView = z.infer<typeof ConflictSchema>;
export type StateMetView = z.infer<typeof StateMetSchema>;
export type ConflictWinnerView = z.infer<typeof ConflictWinnerSchema>;
