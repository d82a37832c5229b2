import { defaultArbiterPolicy } from '../arbiter/policy.js';
import type { EndpointConfig } from '../endpoint/config.js';
import { fail, ok, type Result } from '../errors.js';
import { makeEvent } from '../events/event.js';
import type { EdgeDefinition } from '../graph/edge.js';
import { evolveJob, initialJobState } from '../job/job.js';
import { fromIso, type Millis } from '../time.js';
import { overriddenPolicy, type WhatIfChanges } from './changes.js';
import type { Agendum, Input } from './history.js';
import type { RecordedProposal } from './proposals.js';
import { upstreamOf, type World } from './world.js';

/** What the simulation made of a recorded proposal. */
export type SimulatedOutcome =
  | { readonly outcome: 'accepted' }
  | { readonly outcome: 'rejected'; readonly rule: string; readonly detail: string }
  /** A planner proposal with the planner off. */
  | { readonly outcome: 'dropped' }
  /** Not decided again (see `recordedProposal`): its recorded outcome stands. */
  | { readonly outcome: 'kept' }
  /** The target could not take a proposal then (not registered, archived), or it was malformed. */
  | { readonly outcome: 'not_decided'; readonly detail: string };

export interface ProposalResult {
  readonly endpointId: string;
  readonly proposal: RecordedProposal;
  readonly simulated: SimulatedOutcome;
}

export interface SimulationOptions {
  readonly agenda: readonly Agendum[];
  readonly changes: WhatIfChanges;
  /** The endpoint's config as the what-if changes it (a recorded config at registration or reconfiguration). */
  readonly configOf: (endpointId: string, config: EndpointConfig) => Result<EndpointConfig>;
  /** Edges the changes add, by downstream; edges they remove, by id. */
  readonly added: ReadonlyMap<string, readonly EdgeDefinition[]>;
  readonly removed: ReadonlySet<string>;
  /** Most runs the simulation may make before it gives up (422). */
  readonly maxRuns: number;
}

/**
 * Runs the simulation from the window's start to its end: a deterministic event loop that takes,
 * at each step, the earliest of the next recorded input, the next fed response of a run in
 * flight, and the next endpoint wake-up (on a tie: inputs, then responses, then wake-ups, each in
 * id order). Time is the loop's own: no clock, no randomness.
 */
export function simulate(world: World, options: SimulationOptions): Result<ProposalResult[]> {
  const { from, to } = world.setup.window;
  const { agenda } = options;
  const ids = [...world.states.keys()].sort();
  const proposals: ProposalResult[] = [];
  const stepLimit = options.maxRuns * 20 + agenda.length * 4 + 1000;
  let now = from;
  let next = 0;
  for (let step = 0; ; step++) {
    if (step > stepLimit || world.runCount > options.maxRuns) {
      return fail(
        'unprocessable',
        `the simulation would make more than ${options.maxRuns} runs: narrow the window or the scope`,
        { field: 'to' },
      );
    }
    const input = agenda[next];
    let response: { id: string; at: Millis } | null = null;
    for (const [id, run] of world.inFlight) {
      if (
        response === null ||
        run.at < response.at ||
        (run.at === response.at && id < response.id)
      ) {
        response = { id, at: run.at };
      }
    }
    let wake: { id: string; at: Millis } | null = null;
    for (const id of ids) {
      const at = world.wake(id, now);
      if (at !== null && (wake === null || at < wake.at)) wake = { id, at };
    }
    const inputAt = input ? Math.max(input.at, now) : Infinity;
    const earliest = Math.min(inputAt, response?.at ?? Infinity, wake?.at ?? Infinity);
    if (earliest >= to) break;
    now = Math.max(now, earliest);
    if (input && inputAt === earliest) {
      next++;
      const applied = take(world, input.input, now, options);
      if (!applied.ok) return applied;
      if (applied.value) proposals.push(applied.value);
    } else if (response && response.at === earliest) {
      world.respond(response.id, now);
    } else if (wake) {
      world.dispatch(wake.id, now);
    }
  }
  return ok(proposals);
}

/** Takes one recorded input at `now`; a proposal's outcome is returned. */
function take(
  world: World,
  input: Input,
  now: Millis,
  options: SimulationOptions,
): Result<ProposalResult | null> {
  switch (input.kind) {
    case 'job': {
      const job = world.jobs.get(input.jobId) ?? initialJobState();
      world.jobs.set(input.jobId, evolveJob(job, input.event));
      for (const [id, state] of world.states) if (state.jobId === input.jobId) world.touch(id);
      return ok(null);
    }
    case 'config': {
      const { event, endpointId } = input;
      const config = options.configOf(endpointId, event.data.config);
      if (!config.ok) return config;
      const changed =
        event.type === 'EndpointRegistered'
          ? makeEvent('EndpointRegistered', { ...event.data, config: config.value }, event.metadata)
          : makeEvent('EndpointReconfigured', { config: config.value }, event.metadata);
      world.apply(endpointId, [changed], world.setup.positions.recorded(event.position));
      // Edges the what-if adds hold from the start of the window, or from the registration.
      const added = options.added.get(endpointId) ?? [];
      if (event.type === 'EndpointRegistered' && added.length > 0) {
        const declared = added.map((edge) =>
          makeEvent('DependencyDeclared', edge, world.metadata()),
        );
        world.apply(endpointId, declared, world.setup.positions.recorded(event.position));
      }
      return ok(null);
    }
    case 'archive':
      applyDecided(world, input.endpointId, { type: 'Archive', reason: input.reason }, now);
      return ok(null);
    case 'clear':
      applyDecided(
        world,
        input.endpointId,
        { type: 'ClearHints', slots: input.slots, reason: input.reason },
        now,
      );
      return ok(null);
    case 'evolve': {
      const { event } = input;
      if (event.type === 'DependencyDeclared' || event.type === 'DependencyRemoved') {
        const { edgeId, downstreamEndpointId } = event.data;
        const changed =
          options.removed.has(edgeId) ||
          (options.added.get(downstreamEndpointId) ?? []).some((e) => e.edgeId === edgeId);
        if (changed) return ok(null);
      }
      world.apply(input.endpointId, [event], world.setup.positions.recorded(event.position));
      return ok(null);
    }
    case 'response': {
      const { event, endpointId } = input;
      // Observed again from before the window: compared with what downstreams saw then (raw).
      const position = input.before
        ? event.position
        : world.setup.positions.recorded(event.position);
      if (input.simulated) {
        const decided = world.decide(
          endpointId,
          { type: 'RecordResponse', response: event.data },
          now,
        );
        if (decided.ok) world.apply(endpointId, decided.value, position);
      }
      world.recognize(event.data.runId);
      const respondedAt = fromIso(event.data.finishedAt);
      world.observe(upstreamOf(endpointId, event.data, position, respondedAt), now);
      return ok(null);
    }
    case 'proposal':
      return ok({
        endpointId: input.endpointId,
        proposal: input.proposal,
        simulated: decideAgain(
          world,
          input.endpointId,
          input.proposal,
          input.position,
          now,
          options,
        ),
      });
  }
}

function applyDecided(
  world: World,
  endpointId: string,
  command: Parameters<World['decide']>[1],
  now: Millis,
): void {
  const decided = world.decide(endpointId, command, now);
  if (decided.ok) world.apply(endpointId, decided.value, world.setup.positions.next(now));
}

/**
 * A recorded proposal decided again by the arbiter on the simulated state, under the job's
 * policy as the what-if changes it, its holds, and its planner-induced extra runs in the budget
 * window (counted over the simulated endpoints of the job).
 */
function decideAgain(
  world: World,
  endpointId: string,
  recorded: RecordedProposal,
  position: number,
  now: Millis,
  options: SimulationOptions,
): SimulatedOutcome {
  if (options.changes.planner === 'off' && recorded.source === 'planner') {
    return { outcome: 'dropped' };
  }
  if (recorded.proposal === null) return { outcome: 'kept' };
  const state = world.state(endpointId);
  const job = state.status === 'unregistered' ? undefined : world.jobs.get(state.jobId);
  const policy = overriddenPolicy(
    job?.planner.policy ?? defaultArbiterPolicy,
    options.changes.policies[state.jobId],
  );
  let jobExtraRuns = 0;
  for (const other of world.states.values()) {
    if (other.jobId !== state.jobId) continue;
    for (const grant of other.steering.extraRuns) {
      if (grant.at > now - policy.budget.windowMs) jobExtraRuns += grant.runs;
    }
  }
  const { proposal } = recorded;
  const based = proposal.basedOnPosition;
  const decided = world.decide(
    endpointId,
    {
      type: 'Propose',
      proposal:
        based === undefined
          ? proposal
          : { ...proposal, basedOnPosition: world.setup.positions.recorded(based) },
      policy,
      jobExtraRuns,
      holds: world.holds(state),
    },
    now,
  );
  if (!decided.ok) return { outcome: 'not_decided', detail: decided.error.message };
  world.apply(endpointId, decided.value, world.setup.positions.recorded(position));
  const refused = decided.value.find((e) => e.type === 'HintRejected');
  return refused?.type === 'HintRejected'
    ? { outcome: 'rejected', rule: refused.data.rule, detail: refused.data.detail }
    : { outcome: 'accepted' };
}
