/** The pipeline phase's figures: one apply of a whole document against endpoint-by-endpoint. */

/** The goal for applying a 10 000-endpoint document. Printed, never enforced. */
export const APPLY_GOAL_SECONDS = 5;

/** One `PUT /v1/pipelines/{name}`, timed around `app.inject`. */
export interface ApplyTiming {
  readonly seconds: number;
  /** Events appended (or, for a dry run, that would be). */
  readonly events: number;
  readonly changed: boolean;
  readonly summary: string;
}

export interface PipelineApplyResult {
  readonly jobs: number;
  readonly endpoints: number;
  readonly edges: number;
  readonly jsonBytes: number;
  readonly yamlBytes: number;
  /** The first `sample` endpoints registered with one POST each; extrapolated to all. */
  readonly oneByOne: {
    readonly sample: number;
    readonly seconds: number;
    readonly endpointsPerSecond: number;
    readonly extrapolatedSeconds: number;
  };
  /** The whole document, JSON, on a fresh database. */
  readonly apply: ApplyTiming;
  /** The same document again, before any projection ran: nothing to apply. */
  readonly reapply: ApplyTiming;
  /** A variant with 1 % of the endpoints changed, `?dryRun=true`. */
  readonly dryRun: ApplyTiming;
  /** The projection run to the head after those (the read models' snapshots). */
  readonly projectedSeconds: number;
  /** The same document once more, from the snapshots. */
  readonly reapplyFromSnapshots: ApplyTiming;
  /** The same document (other ids) as YAML. */
  readonly yaml: ApplyTiming;
  /** One by one (extrapolated) over the apply. */
  readonly speedup: number;
  readonly goal: { readonly seconds: number; readonly met: boolean };
}
