import type { EndpointState } from '../endpoint/state.js';
import type { GraphState } from '../graph/graph.js';
import type { JobState } from '../job/job.js';
import type { PipelineDocument } from './document.js';
import type { PipelineState } from './pipeline.js';

/**
 * What an apply is decided on: the states of the streams it may touch, each at the version it was
 * read at (the apply appends at those versions). A job or endpoint missing from its map is taken
 * as never registered, so the reader must read every one {@link streamsToRead} names.
 */
export interface LiveState {
  readonly pipeline: PipelineState;
  readonly jobs: ReadonlyMap<string, JobState>;
  readonly endpoints: ReadonlyMap<string, EndpointState>;
  readonly graph: GraphState;
}

/**
 * The jobs and endpoints an apply of `document` reads, given the pipeline's state: those the
 * document declares, those the last apply created (a document that drops them archives them),
 * the ends of the edges it created, and the upstreams the document names.
 */
export function streamsToRead(
  document: PipelineDocument,
  pipeline: PipelineState,
): { readonly jobs: string[]; readonly endpoints: string[] } {
  const jobs = new Set([...document.jobs.map((job) => job.id), ...pipeline.created.jobs]);
  const endpoints = new Set(pipeline.created.endpoints);
  // Both ends of the edges it created: removing one appends to its downstream's stream.
  for (const edgeId of pipeline.created.edges) edgeId.split('.').forEach((id) => endpoints.add(id));
  for (const job of document.jobs) {
    for (const endpoint of job.endpoints) {
      endpoints.add(endpoint.id);
      for (const spec of endpoint.dependsOn) endpoints.add(spec.upstream);
    }
  }
  return { jobs: [...jobs], endpoints: [...endpoints] };
}
