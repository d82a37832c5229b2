/**
 * Orrery's full pipeline (projection + dispatcher + executor over Postgres and
 * BullMQ), measured through the meters it records into: the runtime gets an
 * in-memory OpenTelemetry meter (MemoryTelemetry) and the bench reads the same
 * instruments an operator's exporter would (docs/observability.md). Nothing is
 * wrapped or patched.
 *
 * The parts, under `orrery/`: `pipeline.ts` starts and stops one runtime;
 * `figures.ts` reads a window's figures from the meter; `endpoints.ts`
 * registers the endpoints; `sampling.ts` feeds the status lines and CPU meter;
 * `throughput.ts` and `lateness.ts` run the phases; `results.ts` shapes their output.
 */
export { STAGES } from './orrery/figures.js';
export { runLateness } from './orrery/lateness.js';
export type { OrreryPipeline } from './orrery/pipeline.js';
export type { LatenessResult, PipelineReport, ThroughputResult } from './orrery/results.js';
export { runThroughput } from './orrery/throughput.js';
