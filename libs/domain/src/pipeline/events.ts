import { z } from 'zod';

const Id = z.string().min(1);

/** Jobs, endpoints and edges (by edge id) of a pipeline. */
export const PipelineMembers = z.strictObject({
  jobs: z.array(Id).default([]),
  endpoints: z.array(Id).default([]),
  edges: z.array(Id).default([]),
});
export type PipelineMembers = z.output<typeof PipelineMembers>;

const Counts = z.strictObject({
  create: z.number().int().nonnegative(),
  change: z.number().int().nonnegative(),
  /** Archived (jobs, endpoints) or removed (edges). */
  archive: z.number().int().nonnegative(),
});

/**
 * The data of `PipelineApplied`, on the pipeline's stream (`pipeline-<tenant>.<name>`): what the
 * document declares, split by who made it. Each event carries the whole membership, so the last
 * one is the pipeline's state.
 */
export const PipelineAppliedData = z.strictObject({
  name: Id,
  /** `sha256:<hex>` of the document as parsed, secret values left out. */
  digest: z.string().min(1),
  /** What this pipeline created and still declares: archived or removed once a document drops it. */
  created: PipelineMembers,
  /** What it declares but found already there: left as it is once a document drops it. */
  adopted: PipelineMembers,
  /** What this apply did. */
  summary: z.strictObject({ jobs: Counts, endpoints: Counts, edges: Counts }),
});
export type PipelineAppliedData = z.output<typeof PipelineAppliedData>;
