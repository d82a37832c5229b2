import {
  endpointStream,
  fold,
  foldWith,
  graphDecider,
  graphStream,
  jobStream,
  type Millis,
  type RecordedEvent,
} from '@orrery/domain';
import type { ApiDeps } from '../deps.js';
import { ProblemError } from '../problem.js';
import { logTimeAt } from '../reads/explain.js';
import type { GraphView } from '../schemas/dependencies.js';
import { storedState } from './edge-state.js';
import { assembleGraph, endsOf, type Member } from './graph-reads.js';

type ReadDeps = Pick<ApiDeps, 'store' | 'db' | 'events' | 'now'>;

/**
 * Where `at` falls in the log: the time the answer is computed at, and which events it takes.
 * A position takes the events at or before it and the time the tenant's last event up to it was
 * recorded; an instant takes the events recorded at or before it (null time: nothing yet).
 */
export async function logPointOf(
  deps: Pick<ApiDeps, 'events'>,
  tenantId: string,
  at: string,
): Promise<{ time: Millis | null; upTo: (event: RecordedEvent) => boolean }> {
  if (/^\d+$/.test(at)) {
    const position = Number(at);
    return {
      time: await logTimeAt(deps, tenantId, position),
      upTo: (event) => event.position <= position,
    };
  }
  const instant = Date.parse(at);
  return { time: instant, upTo: (event) => Date.parse(event.recordedAt) <= instant };
}

/**
 * The graph as it was at `at` (a log position or an ISO instant): the graph stream and each
 * endpoint's stream folded up to then, edge states judged at that time. Same shape as
 * {@link graphView}; the same `at` always gives the same answer. It folds every shown endpoint's
 * stream from its start, so it costs more than the live view.
 *
 * @throws ProblemError not_found when `jobId` did not exist yet at `at`.
 */
export async function graphViewAt(
  deps: ReadDeps,
  tenantId: string,
  jobId: string | undefined,
  at: string,
): Promise<GraphView> {
  const { time, upTo } = await logPointOf(deps, tenantId, at);
  const notFound = () => new ProblemError('not_found', `job ${jobId} not found at ${at}`);
  if (time === null) {
    if (jobId !== undefined) throw notFound();
    return { nodes: [], edges: [] };
  }
  if (jobId !== undefined) {
    const jobEvents = (await deps.store.readStream(jobStream(tenantId, jobId))).filter(upTo);
    if (jobEvents.length === 0) throw notFound();
  }
  const graph = foldWith(
    graphDecider,
    (await deps.store.readStream(graphStream(tenantId))).filter(upTo),
  );
  // An endpoint never changes jobs, so today's read model says which ones to fold.
  const rows = await deps.db
    .selectFrom('schedule')
    .select(['endpoint_id'])
    .where('tenant_id', '=', tenantId)
    .$if(jobId !== undefined, (qb) => qb.where('job_id', '=', jobId ?? ''))
    .execute();
  const allEdges = Object.values(graph.edges);
  const ids = new Set([...rows.map((row) => row.endpoint_id), ...endsOf(allEdges)]);
  const found = new Map<string, Member>();
  for (const id of [...ids].sort()) {
    const events = (await deps.store.readStream(endpointStream(tenantId, id))).filter(upTo);
    if (events.length === 0) continue;
    const state = fold(events);
    if (state.status === 'unregistered') continue;
    const status = state.status === 'archived' ? 'archived' : 'active';
    found.set(id, { endpointId: id, jobId: state.jobId, status, state: storedState(state) });
  }
  const inJob = (id: string) => jobId === undefined || found.get(id)?.jobId === jobId;
  const edges = allEdges.filter(
    (e) => inJob(e.upstreamEndpointId) || inJob(e.downstreamEndpointId),
  );
  const shown = [...found.values()].filter((m) =>
    jobId === undefined ? m.status === 'active' : m.jobId === jobId,
  );
  return assembleGraph(found, shown, edges, jobId, time);
}
