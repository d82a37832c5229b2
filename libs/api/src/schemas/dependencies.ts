import { DependencySpec, FanIn, Freshness, OnUpstreamFailure } from '@orrery/domain';
import { z } from 'zod';
import { LogPoint } from './explain.js';
import { Id, Instant, PageQuery, requestBody, responseBody } from './common.js';
import { dependencyExample } from './endpoint-examples.js';

/** Most edges one endpoint's `dependsOn` may list. */
export const MAX_DEPENDS_ON = 64;

/** An edge as declared on a downstream (in its create/update body: `dependsOn`). */
export const DependencySpecSchema = DependencySpec.meta({
  id: 'DependencySpec',
  description:
    'An edge from `upstream` to the endpoint that declares it. `condition` is CEL over the ' +
    "upstream's response (`status`, `ok`, `body`, `headers`, `durationMs`), default `ok`; " +
    '`mode` `trigger` runs the downstream when satisfied, `gate` skips its own runs until ' +
    'satisfied; `freshness` says which responses count (default `since_last_run`); ' +
    '`onUpstreamFailure` holds the downstream after that many consecutive upstream failures. ' +
    "`name` (default: the upstream's id with `-` as `_`) is how fan-in and templates refer to " +
    'the edge.',
});

export const DependsOnSchema = z
  .array(DependencySpecSchema)
  .max(MAX_DEPENDS_ON)
  .describe(
    "The endpoint's incoming edges, all of them: on an update, edges not listed are removed " +
      '(absent: unchanged). An edge that closes a cycle, or whose condition does not compile, ' +
      'answers 422 and nothing changes',
  );

export const DependencyCreateSchema = requestBody(
  DependencySpec.safeExtend({ downstream: Id.describe('The endpoint that depends on `upstream`') }),
  'DependencyCreate',
  [
    {
      downstream: 'load-warehouse',
      upstream: 'extract-orders',
      name: 'extract',
      condition: 'status == 200 && body.rows > 0',
    },
    {
      downstream: 'send-report',
      upstream: 'warehouse-health',
      mode: 'gate',
      freshness: { kind: 'duration', ms: 900_000 },
      onUpstreamFailure: { afterFailures: 3 },
    },
  ],
);

/** An edge id: `<upstream>.<downstream>`. */
export const EdgeId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
    'an edge id is <upstream>.<downstream>',
  )
  .describe('`<upstream endpoint id>.<downstream endpoint id>`');

export const EdgeParams = z.strictObject({ edgeId: EdgeId });

const dependencyShape = {
  edgeId: EdgeId,
  name: z.string().describe('How fan-in and templates of the downstream refer to the edge'),
  upstreamEndpointId: Id,
  downstreamEndpointId: Id,
  condition: z.string().describe("CEL over the upstream's response"),
  mode: z.enum(['trigger', 'gate']),
  freshness: Freshness,
  onUpstreamFailure: OnUpstreamFailure.optional(),
};

const dependency = z.object(dependencyShape);
export type DependencyView = z.infer<typeof dependency>;
export const DependencySchema = responseBody(dependency, 'Dependency', [dependencyExample]);

export const DependencyListQuery = PageQuery.extend({
  job: Id.optional().describe('Only edges with an end in this job'),
  upstream: Id.optional().describe('Only edges from this endpoint'),
  downstream: Id.optional().describe('Only edges into this endpoint'),
});

const Observation = z
  .object({
    runId: z.string(),
    respondedAt: Instant,
    status: z.number().int().nullable().describe('null when no HTTP answer arrived'),
    ok: z.boolean(),
    satisfied: z.boolean().describe("Whether it satisfied the edge's condition"),
  })
  .meta({ id: 'EdgeObservation', description: 'An upstream response as the edge judged it' });

export const EdgeStateSchema = z
  .object({
    latest: Observation.nullable().describe("The upstream's latest response the edge saw"),
    lastSatisfied: Observation.nullable().describe('The latest one that satisfied the condition'),
    gate: z
      .enum(['open', 'closed'])
      .nullable()
      .describe('Gate edges: open when the latest response satisfied and is fresh now'),
    breaker: z
      .enum(['closed', 'open'])
      .nullable()
      .describe('Edges with `onUpstreamFailure`: open while the downstream is held'),
    failures: z.number().int().describe('Consecutive failed upstream runs'),
    waiting: z
      .number()
      .int()
      .describe('Trigger edges: satisfying responses not yet used by the fan-in'),
  })
  .meta({ id: 'EdgeState' });
export type EdgeStateView = z.infer<typeof EdgeStateSchema>;

export const GraphNodeSchema = z
  .object({
    endpointId: Id,
    jobId: Id,
    name: z.string(),
    status: z.enum(['active', 'archived']),
    baseline: z.enum(['interval', 'cron', 'none']).describe("The kind of the endpoint's schedule"),
    fanIn: FanIn.nullable().describe('How its trigger edges combine (null: all of them)'),
    inJob: z.boolean().describe('False for an endpoint of another job on one of the edges'),
  })
  .meta({ id: 'GraphNode' });
export type GraphNodeView = z.infer<typeof GraphNodeSchema>;

export const GraphEdgeSchema = z
  .object({ ...dependencyShape, state: EdgeStateSchema })
  .meta({ id: 'GraphEdge', description: 'An edge and what its downstream knows of it now' });

/** The orders poll's latest answer, as the demo's edge judged it. */
const newOrders = {
  runId: 'run-demo-orders-mm8y79oo',
  respondedAt: '2026-03-02T08:59:57.058Z',
  status: 200,
  ok: true,
  satisfied: true,
};

export const GraphSchema = responseBody(
  z.object({ nodes: z.array(GraphNodeSchema), edges: z.array(GraphEdgeSchema) }),
  'Graph',
  [
    {
      nodes: [
        {
          endpointId: 'demo-orders',
          jobId: 'demo-shop',
          name: 'orders poll',
          status: 'active',
          baseline: 'interval',
          fanIn: null,
          inJob: true,
        },
        {
          endpointId: 'demo-pack',
          jobId: 'demo-fulfilment',
          name: 'pack new orders',
          status: 'active',
          baseline: 'none',
          fanIn: null,
          inJob: true,
        },
      ],
      edges: [
        {
          ...dependencyExample,
          state: {
            latest: newOrders,
            lastSatisfied: newOrders,
            gate: null,
            breaker: null,
            failures: 0,
            waiting: 0,
          },
        },
      ],
    },
  ],
);
export type GraphView = z.infer<typeof GraphSchema>;

export const GraphQuery = z.strictObject({
  job: Id.optional().describe(
    "The job whose part of the graph to show (default: the tenant's whole graph)",
  ),
  at: LogPoint.optional().describe(
    'Replay: the graph and each edge state as of this log position (inclusive) or instant ' +
      '(events recorded at or before it). Default: now.',
  ),
});
