import {
  endpointDecider,
  endpointStream,
  foldWith,
  graphDecider,
  graphStream,
  jobDecider,
  jobStream,
  pipelineDecider,
  pipelineStream,
  streamsToRead,
  type LiveState,
  type PipelineDocument,
  type PipelineState,
} from '@orrery/domain';
import type { ApiDeps } from '../deps.js';
import { endpointSnapshots, jobSnapshots, lastEvent, streamTails } from './live-statements.js';

export type LiveDeps = Pick<ApiDeps, 'db' | 'events'>;

/**
 * A pipeline's state: its stream's last event alone, since every PipelineApplied carries the
 * whole membership (reading it costs the same after one apply or a thousand).
 */
export async function readPipelineState(
  deps: LiveDeps,
  tenantId: string,
  name: string,
): Promise<PipelineState> {
  const last = await lastEvent(deps.events, pipelineStream(tenantId, name));
  const initial = pipelineDecider.initialState();
  if (!last) return initial;
  return pipelineDecider.evolve({ ...initial, version: last.streamVersion - 1 }, last);
}

/**
 * Everything an apply of `document` is decided on, in four statements whatever its size: the
 * pipeline's last event; the read models' snapshots of its jobs and endpoints; then the tails of
 * all those streams after their snapshots, with the tenant's whole graph stream. Each state is at
 * the head of its stream as of that read.
 */
export async function readLive(
  deps: LiveDeps,
  tenantId: string,
  name: string,
  document: PipelineDocument,
): Promise<LiveState> {
  const pipeline = await readPipelineState(deps, tenantId, name);
  const ids = streamsToRead(document, pipeline);
  const [jobs, endpoints] = await Promise.all([
    jobSnapshots(deps.db, tenantId, ids.jobs),
    endpointSnapshots(deps.db, tenantId, ids.endpoints),
  ]);
  const after = new Map<string, number>();
  for (const id of ids.jobs) after.set(jobStream(tenantId, id), jobs.get(id)?.version ?? 0);
  for (const id of ids.endpoints) {
    after.set(endpointStream(tenantId, id), endpoints.get(id)?.version ?? 0);
  }
  const graph = graphStream(tenantId);
  after.set(graph, 0);
  const tails = await streamTails(deps.events, after);
  for (const id of ids.jobs) {
    const from = jobs.get(id) ?? jobDecider.initialState();
    const tail = tails.get(jobStream(tenantId, id)) ?? [];
    if (tail.length > 0 || jobs.has(id)) jobs.set(id, foldWith(jobDecider, tail, from));
  }
  for (const id of ids.endpoints) {
    const from = endpoints.get(id) ?? endpointDecider.initialState();
    const tail = tails.get(endpointStream(tenantId, id)) ?? [];
    if (tail.length > 0 || endpoints.has(id)) {
      endpoints.set(id, foldWith(endpointDecider, tail, from));
    }
  }
  return {
    pipeline,
    jobs,
    endpoints,
    graph: foldWith(graphDecider, tails.get(graph) ?? []),
  };
}
