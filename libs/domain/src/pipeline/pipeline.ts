import type { DecideContext, Decided, Decider } from '../decider.js';
import { differingPaths } from '../differences.js';
import { ok } from '../errors.js';
import { makeEvent, type DomainEvent, type RecordedEvent } from '../events/event.js';
import type { PipelineAppliedData, PipelineMembers } from './events.js';

const noMembers = (): PipelineMembers => ({ jobs: [], endpoints: [], edges: [] });

/**
 * A pipeline of a tenant (`pipeline-<tenant>.<name>`): the document last applied (its digest)
 * and what it declares, split into what the pipeline created (archived or removed once a later
 * document drops it) and what it adopted (there before it; left alone when dropped).
 */
export interface PipelineState {
  readonly status: 'none' | 'applied';
  readonly name: string;
  readonly digest: string;
  readonly created: PipelineMembers;
  readonly adopted: PipelineMembers;
  readonly version: number;
}

export const initialPipelineState = (): PipelineState => ({
  status: 'none',
  name: '',
  digest: '',
  created: noMembers(),
  adopted: noMembers(),
  version: 0,
});

/**
 * Records an apply: `changes` is how many events the apply appends to other streams (jobs,
 * endpoints, graph) in the same atomic append. An apply that changes nothing and declares what
 * the last one declared is already recorded (no event).
 */
export interface RecordApply extends PipelineAppliedData {
  readonly type: 'RecordApply';
  readonly changes: number;
}
export type PipelineCommand = RecordApply;

/** Folds one event of a pipeline stream: each PipelineApplied carries the whole state. */
export function evolvePipeline(
  state: PipelineState,
  event: DomainEvent | RecordedEvent,
): PipelineState {
  const version = state.version + 1;
  if (event.type !== 'PipelineApplied') return { ...state, version };
  const { name, digest, created, adopted } = event.data;
  return { status: 'applied', name, digest, created, adopted, version };
}

/** Decides {@link RecordApply} (see there). */
export function decidePipeline(
  command: PipelineCommand,
  state: PipelineState,
  ctx: DecideContext,
): Decided {
  const { type: _type, changes, ...data } = command;
  const same =
    state.status === 'applied' &&
    state.digest === data.digest &&
    differingPaths(
      { created: state.created, adopted: state.adopted },
      { created: data.created, adopted: data.adopted },
    ).length === 0;
  if (changes === 0 && same) return ok([]);
  return ok([makeEvent('PipelineApplied', data, ctx.metadata)]);
}

/** Schema version of {@link PipelineState} (see {@link Decider.stateVersion}). */
export const PIPELINE_STATE_VERSION = 1;

/** The pipeline aggregate: one stream per pipeline of a tenant. */
export const pipelineDecider: Decider<PipelineState, PipelineCommand> = {
  name: 'pipeline',
  stateVersion: PIPELINE_STATE_VERSION,
  initialState: initialPipelineState,
  evolve: evolvePipeline,
  decide: decidePipeline,
};
