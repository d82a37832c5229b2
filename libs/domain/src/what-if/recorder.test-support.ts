import type { ProposalAction } from '../arbiter/proposal.js';
import { ArbiterPolicy, type ArbiterPolicyInput } from '../arbiter/policy.js';
import type { EndpointCommand, UpstreamResponse } from '../endpoint/commands.js';
import type { EndpointConfigInput } from '../endpoint/config.js';
import { decide } from '../endpoint/decide.js';
import { evolve } from '../endpoint/evolve.js';
import { initialState, type EndpointState } from '../endpoint/state.js';
import type { CascadeContext } from '../events/catalogue.js';
import { makeEvent, type DomainEvent, type RecordedEvent } from '../events/event.js';
import type { EventMetadata } from '../events/metadata.js';
import { edgeOf, type DependencySpecInput } from '../graph/edge.js';
import { holdsOf } from '../governor/holds.js';
import { evolveJob, initialJobState, type JobState } from '../job/job.js';
import { toIso, type Millis } from '../time.js';
import type { WhatIfHistory } from './what-if.js';

/** What the target answers to a call: the n-th call (from 1) of an endpoint. */
export interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly durationMs?: number;
}

/** 2026-01-01T00:00:00Z. */
export const T0 = Date.parse('2026-01-01T00:00:00.000Z');

const meta = (kind: 'user' | 'planner' | 'system', id = kind): EventMetadata => ({
  tenantId: 't1',
  actor: { kind, id },
});

/**
 * A miniature of the live system, independent of the what-if engine, that records a history to
 * re-run: a dispatcher polling every `tickMs` (so runs start up to a tick late, as real ones do),
 * an executor answering by a script after each answer's `durationMs`, a cascade processor that
 * observes each response `hopMs` later, and planner proposals decided when their time comes.
 * Every decision goes through the endpoint decider and is appended with positions and times: the
 * time it was decided, plus `appendMs` (live, an append lands a round trip after its decision).
 */
export class Recorder {
  readonly #endpoints = new Map<string, RecordedEvent[]>();
  readonly #jobs = new Map<string, RecordedEvent[]>();
  readonly #states = new Map<string, EndpointState>();
  readonly #jobStates = new Map<string, JobState>();
  readonly #calls = new Map<string, number>();
  readonly #inFlight = new Map<
    string,
    { runId: string; at: Millis; startedAt: Millis; answer: Answer; cascade?: CascadeContext }
  >();
  #observations: { at: Millis; response: UpstreamResponse }[] = [];
  #planned: { at: Millis; endpointId: string; id: string; action: ProposalAction }[] = [];
  #position = 0;
  now = T0;

  constructor(
    readonly options: {
      readonly answer: (endpointId: string, call: number) => Answer;
      readonly tickMs?: number;
      readonly hopMs?: number;
      readonly appendMs?: number;
    },
  ) {}

  createJob(jobId: string, policy: ArbiterPolicyInput = {}): this {
    const events = [
      makeEvent(
        'JobCreated',
        {
          jobId,
          tenantId: 't1',
          name: jobId,
          planner: { enabled: true, backend: 'heuristic', policy: ArbiterPolicy.parse(policy) },
        },
        meta('user'),
      ),
    ];
    this.#appendJob(jobId, events);
    return this;
  }

  register(endpointId: string, jobId: string, config: Partial<EndpointConfigInput>): this {
    this.#states.set(endpointId, initialState());
    this.#endpoints.set(endpointId, []);
    this.#command(endpointId, {
      type: 'Register',
      endpointId,
      jobId,
      tenantId: 't1',
      config: {
        name: endpointId,
        request: { url: `http://127.0.0.1:9/${endpointId}` },
        baseline: { kind: 'interval', everyMs: 3000 },
        ...config,
      },
    });
    return this;
  }

  /** Declares an edge on the downstream's stream (what its decisions read). */
  declare(downstream: string, spec: DependencySpecInput): this {
    this.#append(downstream, [
      makeEvent('DependencyDeclared', edgeOf(downstream, spec), meta('user')),
    ]);
    return this;
  }

  /** A planner proposal for `endpointId`, decided at `at` (based on the log's head then). */
  plan(at: Millis, endpointId: string, id: string, action: ProposalAction): this {
    this.#planned.push({ at, endpointId, id, action });
    return this;
  }

  /** Runs every tick up to `until`. */
  runUntil(until: Millis): this {
    const tick = this.options.tickMs ?? 10;
    for (let t = this.now; t <= until; t += tick) {
      this.now = t;
      this.#step(t);
    }
    return this;
  }

  /** The recorded history, as a what-if reads it. */
  history(): WhatIfHistory {
    return { endpoints: new Map(this.#endpoints), jobs: new Map(this.#jobs), upstreams: new Map() };
  }

  events(endpointId: string): readonly RecordedEvent[] {
    return this.#endpoints.get(endpointId) ?? [];
  }

  #step(t: Millis): void {
    for (const plan of this.#planned.filter((p) => p.at <= t)) {
      const state = this.#state(plan.endpointId);
      const job = this.#jobStates.get(state.jobId) ?? null;
      this.#command(
        plan.endpointId,
        {
          type: 'Propose',
          proposal: {
            id: plan.id,
            source: 'planner',
            sourceId: `ps-${plan.id}`,
            fromEndpointId: plan.endpointId,
            reason: 'test',
            basedOnPosition: this.#position,
            action: plan.action,
          },
          ...(job ? { policy: job.planner.policy, holds: holdsOf(job) } : {}),
        },
        meta('planner'),
      );
    }
    this.#planned = this.#planned.filter((p) => p.at > t);
    for (const [endpointId, run] of [...this.#inFlight].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (run.at > t) continue;
      this.#inFlight.delete(endpointId);
      const { status, body = null, durationMs = 0 } = run.answer;
      const ok = status >= 200 && status < 300;
      const [recorded] = this.#command(endpointId, {
        type: 'RecordResponse',
        response: {
          runId: run.runId,
          startedAt: toIso(run.startedAt),
          finishedAt: toIso(t),
          durationMs,
          status,
          ok,
          headers: {},
          body,
          bodyTruncated: false,
          ...(run.cascade ? { cascade: run.cascade } : {}),
        },
      });
      this.#observations.push({
        at: t + (this.options.hopMs ?? 30),
        response: {
          endpointId,
          runId: run.runId,
          position: recorded?.position ?? 0,
          respondedAt: t,
          status,
          ok,
          headers: {},
          body,
          durationMs,
          cascade: run.cascade ?? { root: run.runId, depth: 0, chain: [endpointId] },
        },
      });
    }
    for (const { response } of this.#observations.filter((o) => o.at <= t)) {
      for (const [id, state] of [...this.#states].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const edge = Object.values(state.cascade.edges).find(
          (e) => e.edge.upstreamEndpointId === response.endpointId,
        );
        if (!edge) continue;
        const holds = holdsOf(this.#jobStates.get(state.jobId) ?? null);
        this.#started(
          id,
          t,
          this.#command(id, {
            type: 'ObserveUpstream',
            edgeId: edge.edge.edgeId,
            response,
            dispatch: { leaseMarginMs: 15_000, holds },
          }),
        );
      }
    }
    this.#observations = this.#observations.filter((o) => o.at > t);
    for (const [id, state] of [...this.#states].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const holds = holdsOf(this.#jobStates.get(state.jobId) ?? null);
      this.#started(id, t, this.#command(id, { type: 'Dispatch', leaseMarginMs: 15_000, holds }));
    }
  }

  /** A dispatched run calls the target: the script's answer arrives after its duration. */
  #started(endpointId: string, t: Millis, events: readonly RecordedEvent[]): void {
    for (const event of events) {
      if (event.type !== 'RunDispatched') continue;
      const call = (this.#calls.get(endpointId) ?? 0) + 1;
      this.#calls.set(endpointId, call);
      const answer = this.options.answer(endpointId, call);
      this.#inFlight.set(endpointId, {
        runId: event.data.runId,
        at: t + (answer.durationMs ?? 0),
        startedAt: t,
        answer,
        ...(event.data.cascade ? { cascade: event.data.cascade } : {}),
      });
    }
  }

  #state(endpointId: string): EndpointState {
    const state = this.#states.get(endpointId);
    if (!state) throw new Error(`unknown endpoint ${endpointId}`);
    return state;
  }

  #command(endpointId: string, command: EndpointCommand, metadata = meta('system')) {
    const decided = decide(command, this.#state(endpointId), { now: this.now, metadata });
    if (!decided.ok) {
      if (command.type === 'Register') throw new Error(decided.error.message);
      return [];
    }
    return this.#append(endpointId, decided.value);
  }

  #append(endpointId: string, events: readonly DomainEvent[]): RecordedEvent[] {
    const stream = this.#endpoints.get(endpointId) ?? [];
    const recorded = events.map((event, i) =>
      this.#recorded(`endpoint-t1.${endpointId}`, stream.length + 1 + i, event),
    );
    stream.push(...recorded);
    this.#endpoints.set(endpointId, stream);
    this.#states.set(endpointId, recorded.reduce(evolve, this.#state(endpointId)));
    return recorded;
  }

  #appendJob(jobId: string, events: readonly DomainEvent[]): void {
    const stream = this.#jobs.get(jobId) ?? [];
    const recorded = events.map((event, i) =>
      this.#recorded(`job-t1.${jobId}`, stream.length + 1 + i, event),
    );
    stream.push(...recorded);
    this.#jobs.set(jobId, stream);
    this.#jobStates.set(
      jobId,
      recorded.reduce(evolveJob, this.#jobStates.get(jobId) ?? initialJobState()),
    );
  }

  #recorded(streamId: string, version: number, event: DomainEvent): RecordedEvent {
    this.#position++;
    return {
      ...event,
      streamId,
      streamVersion: version,
      position: this.#position,
      recordedAt: toIso(this.now + (this.options.appendMs ?? 0)),
    };
  }
}
