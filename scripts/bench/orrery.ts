/**
 * Orrery's full pipeline (projection + dispatcher + executor over Postgres and
 * BullMQ), instrumented from the outside: the queue is wrapped, and the
 * runtime's store, projection and dispatcher get timing wrappers on their
 * instances (the libs are not changed). Per run, the executor's `onRecorded`
 * gives the timeline: slot → tick start → enqueued → call start → call end → recorded.
 *
 * The parts, under `orrery/`: `pipeline.ts` starts and stops one runtime;
 * `metered-queue.ts` and `instrument.ts` are the timing wrappers (queue; store,
 * projection, dispatcher), `single-flight.ts` the group-commit experiment;
 * `pipeline-stats.ts` and `run-stages.ts` hold what they count; `endpoints.ts`
 * registers the endpoints; `sampling.ts` feeds the status lines and CPU meter;
 * `throughput.ts` and `lateness.ts` run the phases; `results.ts` shapes their output.
 */
export { runLateness } from './orrery/lateness.js';
export type { OrreryPipeline } from './orrery/pipeline.js';
export type { LatenessResult, PipelineReport, ThroughputResult } from './orrery/results.js';
export { STAGES } from './orrery/run-stages.js';
export { singleFlight } from './orrery/single-flight.js';
export { runThroughput } from './orrery/throughput.js';
