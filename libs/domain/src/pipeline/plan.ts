import type { DecideContext } from '../decider.js';
import { ok, type Result } from '../errors.js';
import type { AppendRequest, StreamCondition } from '../ports/event-store.js';
import { endpointStream, jobStream, pipelineStream } from '../streams.js';
import { refusal } from './document.js';
import { diffCounts as counts, type PipelineDiff } from './diff.js';
import { pipelineDecider } from './pipeline.js';
import { planEndpoints, droppedEndpoints } from './plan-endpoints.js';
import { planGraph } from './plan-graph.js';
import { planJobs } from './plan-jobs.js';
import { PlanOutput, type PipelinePlanInput, type PlanIssue } from './plan-output.js';

/** An apply decided: what to append (all or nothing), and the diff against what is live. */
export interface PipelinePlan {
  /**
   * One request per stream touched, each at the version its state was read at: jobs, endpoints,
   * the graph, then the pipeline's own stream (which also holds the streams read but not
   * written as conditions). Empty when the tenant already holds the document.
   */
  readonly appends: readonly AppendRequest[];
  readonly diff: PipelineDiff;
  /** How many events the appends hold. */
  readonly events: number;
}

const RANK: readonly PlanIssue['code'][] = ['validation', 'conflict', 'unprocessable'];

/** Every issue found, as one refusal: the gravest kind of issue sets its code. */
function refuse(issues: readonly PlanIssue[]): Result<never> {
  const code = RANK.find((c) => issues.some((issue) => issue.code === c)) ?? 'unprocessable';
  const ranked = [
    ...issues.filter((i) => i.code === code),
    ...issues.filter((i) => i.code !== code),
  ];
  const cycle = issues.find((issue) => issue.cycle)?.cycle;
  return refusal(
    code,
    ranked.map(({ field, message }) => ({ field, message })),
    cycle ? { cycle } : {},
  );
}

/** Streams the decisions read but do not write, at the versions read: an append's conditions. */
function conditionsOf(out: PlanOutput): StreamCondition[] {
  const { input, live } = out;
  const conditions: StreamCondition[] = [];
  const read = (streamId: string, version: number) => {
    if (!out.streams.has(streamId)) conditions.push({ streamId, version });
  };
  const { places, declared } = out;
  // A job that takes new endpoints must still be active; an upstream outside the document too.
  const registered = new Set(out.endpoints.create);
  const taking = places.filter((place) => registered.has(place.endpoint.id));
  for (const jobId of new Set(taking.map((place) => place.jobId))) {
    const state = live.jobs.get(jobId);
    if (state) read(jobStream(input.tenantId, jobId), state.version);
  }
  for (const { endpoint } of places) {
    for (const { upstream } of endpoint.dependsOn) {
      const state = live.endpoints.get(upstream);
      if (!declared.has(upstream) && state) {
        read(endpointStream(input.tenantId, upstream), state.version);
      }
    }
  }
  return [...new Map(conditions.map((c) => [c.streamId, c])).values()];
}

/**
 * Decides an apply of a pipeline document against what is live, in memory, with the deciders of
 * the endpoint, job, graph and pipeline aggregates: jobs are created or updated, endpoints
 * registered or reconfigured, edges declared (each on the graph stream and its downstream's
 * stream), and what the pipeline created but the document drops is archived (jobs, endpoints)
 * or removed (edges). Every issue found is reported together, at its path in the document; any
 * issue refuses the whole apply (validation 400, conflict with what is live 409, a reference
 * that does not resolve, an expression that does not compile or a cycle 422).
 *
 * Pure: time comes from `ctx`; sealing secrets and the digest are inputs.
 *
 * @example
 * const plan = planPipeline({ tenantId, name, document, configs, digest, live }, { now, metadata });
 * if (plan.ok && plan.value.events > 0) await store.appendMany(plan.value.appends);
 */
export function planPipeline(input: PipelinePlanInput, ctx: DecideContext): Result<PipelinePlan> {
  const out = new PlanOutput(input, ctx);
  const dropped = droppedEndpoints(out);
  const jobs = planJobs(out);
  const endpoints = planEndpoints(out, dropped);
  const edges = planGraph(out, dropped, endpoints.configs);
  if (out.issues.length > 0) return refuse(out.issues);
  const diff: PipelineDiff = {
    jobs: out.jobs.build(),
    endpoints: out.endpoints.build(),
    edges: out.edges.buildEdges(),
  };
  const recorded = pipelineDecider.decide(
    {
      type: 'RecordApply',
      name: input.name,
      digest: input.digest,
      created: { jobs: jobs.created, endpoints: endpoints.created, edges: edges.created },
      adopted: { jobs: jobs.adopted, endpoints: endpoints.adopted, edges: edges.adopted },
      summary: {
        jobs: counts(diff.jobs),
        endpoints: counts(diff.endpoints),
        edges: counts(diff.edges),
      },
      changes: out.eventCount,
    },
    input.live.pipeline,
    ctx,
  );
  if (!recorded.ok) return recorded;
  const stream = pipelineStream(input.tenantId, input.name);
  const conditions = conditionsOf(out);
  out.append(stream, input.live.pipeline.version, recorded.value);
  const appends = [...out.streams].map(
    ([streamId, { expectedVersion, events }]): AppendRequest => ({
      streamId,
      expectedVersion,
      events,
      ...(streamId === stream && conditions.length > 0 ? { conditions } : {}),
    }),
  );
  return ok({ appends, diff, events: out.eventCount });
}
