import { z } from 'zod';
import { Instant } from './common.js';

const CascadeChain = z
  .object({
    root: z.string().describe('The run the cascade started from'),
    depth: z.number().int().describe('Hops from the root (0: a run of its own schedule)'),
    chain: z.array(z.string()).describe('The endpoints from the root to this one'),
  })
  .meta({ id: 'CascadeChain', description: "A cascade's causation chain" });

const ObservedResponse = z
  .object({
    endpointId: z.string(),
    runId: z.string(),
    position: z.number().int().describe('Log position of its ResponseRecorded'),
    respondedAt: Instant,
    status: z.number().int().nullable(),
    ok: z.boolean(),
    satisfied: z.boolean().describe("Whether the edge's condition held"),
    correlation: z.string().nullable(),
    error: z.string().optional().describe('Why the condition or correlation failed to evaluate'),
  })
  .meta({ id: 'ObservedResponse', description: 'An upstream response as an edge judged it' });

export const CascadeDecisionInputs = z
  .object({
    pending: z.number().int().describe('Cascades fired and not yet run'),
    head: z
      .object({ cascadeId: z.string(), triggeredAt: Instant, won: z.boolean() })
      .nullable()
      .describe('The oldest waiting cascade, and whether it chose the next run'),
    failingEdges: z.array(z.string()).describe('Incoming edges whose breaker is open'),
  })
  .nullable()
  .describe('Cascades and breakers (null without incoming edges or cascades)');

const EdgeView = z
  .object({
    edgeId: z.string(),
    name: z.string(),
    upstreamEndpointId: z.string(),
    mode: z.enum(['trigger', 'gate']),
    condition: z.string(),
    latest: ObservedResponse.nullable().describe("The upstream's latest response"),
    lastSatisfied: ObservedResponse.nullable(),
    gate: z
      .object({ open: z.boolean(), detail: z.string() })
      .nullable()
      .describe('Gate edges: open or closed at `asOf.time`, and why'),
    breaker: z
      .object({ open: z.boolean(), failures: z.number().int(), afterFailures: z.number().int() })
      .nullable()
      .describe('Edges with a breaker: its state and the count of failed upstream runs'),
    waiting: z.number().int().describe('Trigger edges: satisfying responses not yet used'),
  })
  .meta({ id: 'ExplanationEdge', description: 'An incoming edge and what it saw' });

const PendingView = z.object({
  cascadeId: z.string(),
  triggeredAt: Instant,
  correlation: z.string().nullable(),
  cascade: CascadeChain,
  inputs: z.array(z.object({ edgeId: z.string(), runId: z.string() })),
  templateError: z.object({ field: z.string(), message: z.string() }).optional(),
});

export const DependenciesView = z
  .object({
    edges: z.array(EdgeView),
    pending: z.array(PendingView).describe('Cascades fired and waiting for their run'),
  })
  .describe('The incoming edges, their inputs, and the cascades waiting');

export const CascadeEventView = z
  .object({
    position: z.number().int(),
    recordedAt: Instant,
    type: z.enum([
      'UpstreamObserved',
      'CascadeTriggered',
      'CascadeRefused',
      'RunSkipped',
      'UpstreamFailing',
      'UpstreamRecovered',
    ]),
    edgeId: z.string().nullable(),
    summary: z.string().describe('What was decided, in words'),
    data: z.record(z.string(), z.unknown()).describe("The event's data (bodies left out)"),
  })
  .meta({
    id: 'ExplanationCascadeEvent',
    description: 'A gate, fan-in or breaker decision, with its inputs',
  });

export type DependenciesViewType = z.infer<typeof DependenciesView>;
export type CascadeEventViewType = z.infer<typeof CascadeEventView>;
export type CascadeDecisionInputsView = z.infer<typeof CascadeDecisionInputs>;
