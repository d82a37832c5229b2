import type { EndpointState } from '../endpoint/state.js';
import { fold } from '../endpoint/evolve.js';
import { fail, ok, type Result } from '../errors.js';
import type { RecordedEvent } from '../events/event.js';
import { evolveJob, initialJobState, type JobState } from '../job/job.js';
import { toIso, type Millis } from '../time.js';
import { overriddenConfig, type WhatIfChanges } from './changes.js';
import { compareEndpoint } from './compare.js';
import { applyEdgeChanges, checkEdgeChanges } from './edges.js';
import {
  byTime,
  jobAgenda,
  splitAt,
  splitStream,
  upstreamAgenda,
  type Agendum,
  type SplitStream,
} from './history.js';
import { POSITION_SCALE, PositionClock } from './positions.js';
import { totalsOf, type WhatIfReport } from './report.js';
import { simulate } from './simulate.js';
import { World } from './world.js';

/**
 * Runs this close are one run, by default (a cascade's run with the same cause as a recorded one
 * is that run at any distance). Keep it under half the shortest interval.
 */
export const DEFAULT_TOLERANCE_MS = 250;

/** The recorded history a what-if re-runs, as read from the log. */
export interface WhatIfHistory {
  /**
   * Each simulated endpoint's stream, by endpoint id: from its start to the end of the window
   * (events recorded a little after it may be included: runs due in the window but dispatched
   * late are still compared; nothing after the end is taken as an input).
   */
  readonly endpoints: ReadonlyMap<string, readonly RecordedEvent[]>;
  /** The streams of their jobs, by job id (their holds and arbiter policies). */
  readonly jobs: ReadonlyMap<string, readonly RecordedEvent[]>;
  /** Upstreams outside the scope, by endpoint id: their responses in the window, as recorded. */
  readonly upstreams: ReadonlyMap<string, readonly RecordedEvent[]>;
  /**
   * When the log reached the positions the recorded proposals were based on (their
   * `basedOnPosition`, any stream): a simulated response at or after that time is newer than the
   * proposer's view (staleness), one before it is not. Without them, only the events read place
   * simulated responses in the log.
   */
  readonly logTimes?: readonly { readonly position: number; readonly recordedAt: string }[];
}

export interface WhatIfRequest {
  readonly tenantId: string;
  readonly from: Millis;
  readonly to: Millis;
  readonly history: WhatIfHistory;
  readonly changes: WhatIfChanges;
  /** Runs this close are the same run (unchanged); default {@link DEFAULT_TOLERANCE_MS}. */
  readonly toleranceMs?: number;
  /** Runs this close, beyond the tolerance, are one run moved; default: per endpoint. */
  readonly moveWindowMs?: number;
  /** Items per list in the report; default 50. */
  readonly listLimit?: number;
  /** Most runs the simulation makes before giving up (unprocessable); default 20,000. */
  readonly maxRuns?: number;
}

/**
 * What if the configuration had been different? Re-runs the governor (through the endpoint
 * decider's `Dispatch`), the cascade rules (`ObserveUpstream`) and the arbiter (`Propose`) over
 * the window `[from, to)` of recorded history with the changes applied, feeding recorded
 * responses back (see `responseFor`), and compares the simulated runs and proposal outcomes with
 * the recorded ones, per endpoint. Pure: the history is an input, time is the simulation's own,
 * and the same request always gives the same report. See docs/what-if.md.
 *
 * Refused: a change naming an endpoint or job that is not simulated, an override that makes an
 * invalid config (validation), an edge change that does not hold (unprocessable), a simulation
 * that would make more than `maxRuns` runs (unprocessable).
 */
export function whatIf(request: WhatIfRequest): Result<WhatIfReport> {
  const { from, to, changes, history } = request;
  const window = { from, to };
  const toleranceMs = request.toleranceMs ?? DEFAULT_TOLERANCE_MS;
  const metadata = {
    tenantId: request.tenantId,
    actor: { kind: 'system' as const, id: 'what-if' },
  };
  const splits = new Map<string, SplitStream>();
  const states = new Map<string, EndpointState>();
  for (const [id, events] of history.endpoints) {
    const split = splitStream(id, events, window);
    splits.set(id, split);
    // Positions on the simulation's scale (see PositionClock), as every later one.
    states.set(
      id,
      fold(split.before.map((e) => ({ ...e, position: e.position * POSITION_SCALE }))),
    );
  }
  for (const id of Object.keys(changes.endpoints)) {
    if (!states.has(id)) {
      return fail('unprocessable', `${id} is not simulated`, { field: `changes.endpoints.${id}` });
    }
  }
  const jobIds = new Set([...states.values()].map((s) => s.jobId));
  for (const events of history.endpoints.values()) {
    if (events[0]?.type === 'EndpointRegistered') jobIds.add(events[0].data.jobId);
  }
  for (const id of Object.keys(changes.policies)) {
    if (!jobIds.has(id)) {
      return fail('unprocessable', `job ${id} has no simulated endpoint`, {
        field: `changes.policies.${id}`,
      });
    }
  }
  const configOf = (id: string, config: NonNullable<EndpointState['config']>) =>
    overriddenConfig(config, changes.endpoints[id], `changes.endpoints.${id}`);
  for (const [id, state] of states) {
    if (state.config === null) continue;
    const config = configOf(id, state.config);
    if (!config.ok) return config;
    states.set(id, { ...state, config: config.value });
  }
  const edges = checkEdgeChanges(
    changes.edges,
    states,
    history.endpoints,
    new Set(history.upstreams.keys()),
  );
  if (!edges.ok) return edges;
  for (const [id, state] of states) states.set(id, applyEdgeChanges(state, edges.value, metadata));

  const jobs = new Map<string, JobState>();
  const agenda: Agendum[] = [...splits.values()].flatMap((s) => s.agenda);
  for (const [jobId, events] of history.jobs) {
    const { before, after } = splitAt(events, from);
    jobs.set(jobId, before.reduce(evolveJob, initialJobState()));
    agenda.push(...jobAgenda(jobId, after, to));
  }
  for (const [id, events] of history.upstreams) {
    if (!states.has(id)) agenda.push(...upstreamAgenda(id, events, window));
  }
  agenda.sort(byTime);
  const all = [
    ...history.endpoints.values(),
    ...history.jobs.values(),
    ...history.upstreams.values(),
  ];
  const world = new World({
    tenantId: request.tenantId,
    window,
    states,
    jobs,
    responses: new Map([...splits].map(([id, split]) => [id, split.responses])),
    toleranceMs,
    positions: new PositionClock([...all.flat(), ...(history.logTimes ?? [])]),
  });
  const simulated = simulate(world, {
    agenda,
    changes,
    configOf,
    added: edges.value.added,
    removed: edges.value.removed,
    maxRuns: request.maxRuns ?? 20_000,
  });
  if (!simulated.ok) return simulated;

  const endpoints = [...splits.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, split]) =>
      compareEndpoint(
        { endpointId: id, jobId: world.state(id).jobId },
        split,
        { runs: world.runs.get(id) ?? [], skipped: world.skipped.get(id) ?? 0 },
        simulated.value.filter((p) => p.endpointId === id),
        { to, toleranceMs, moveWindowMs: request.moveWindowMs, listLimit: request.listLimit ?? 50 },
      ),
    );
  const { totals, summary } = totalsOf(endpoints);
  return ok({
    window: { from: toIso(from), to: toIso(to) },
    toleranceMs,
    endpoints,
    totals,
    summary,
  });
}
