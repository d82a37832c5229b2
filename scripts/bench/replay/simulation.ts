/**
 * Plays a world's history out in simulated time and writes it as the services would have: the
 * setup (tenants and keys, jobs, endpoints, edges, as the API decides them), then runs,
 * responses, cascades, skips behind closed gates, hints and their outcomes, pauses, a few job
 * pauses and one tenant disabled for a while — every event decided by the real deciders on the
 * state folded so far, in time order, until the log holds the events asked for.
 */
import {
  decideJob,
  decideTenant,
  evolve,
  evolveJob,
  evolveTenant,
  holdsOf,
  initialJobState,
  initialState,
  initialTenantState,
  scheduleOf,
  tenantStream,
  toIso,
  type AppendRequest,
  type Decided,
  type DomainEvent,
  type EndpointState,
  type EventMetadata,
  type Holds,
  type JobCommand,
  type JobState,
  type Millis,
  type RecordedEvent,
  type TenantCommand,
  type TenantState,
} from '@orrery/domain';
import { TimeHeap } from './heap.js';
import { LogBuffer } from './log-buffer.js';
import { Random } from './random.js';
import { observe, respond, tick } from './runs.js';
import type { Action, Sim } from './sim.js';
import { placeRareEvents, writeSetup } from './setup.js';
import { expire, resume, steer } from './steering.js';
import type { GeneratorOptions, World } from './world.js';

const MINUTE = 60_000;
const ADMIN = { kind: 'system', id: 'admin' } as const;

/** Events as they will be read back (job and tenant states take their times from the log). */
const recorded = (
  decided: readonly DomainEvent[],
  streamId: string,
  version: number,
  first: number,
  at: Millis,
): RecordedEvent[] =>
  decided.map((event, i) => ({
    ...event,
    position: first + i,
    streamId,
    streamVersion: version + i + 1,
    recordedAt: toIso(at),
  }));

function events(result: Decided, what: string): readonly DomainEvent[] {
  if (!result.ok) throw new Error(`${what}: ${result.error.code}: ${result.error.message}`);
  return result.value;
}

export class History implements Sim {
  readonly rng: Random;
  readonly log: LogBuffer;
  readonly #states: EndpointState[];
  readonly #gens: number[];
  readonly #jobs: JobState[];
  readonly #jobOf: number[];
  readonly #jobEndpoints: number[][];
  readonly #tenants: TenantState[];
  readonly #heap = new TimeHeap<Action>();
  readonly #expiring = new Set<string>();

  /** `last`: the log's head position before the history (0 for an empty log). */
  constructor(
    readonly world: World,
    private readonly options: GeneratorOptions,
    last = 0,
  ) {
    this.rng = new Random(options.seed ^ 0x5eed);
    this.log = new LogBuffer(last);
    this.#states = world.endpoints.map(() => initialState());
    this.#gens = world.endpoints.map(() => 0);
    this.#jobs = world.jobs.map(() => initialJobState());
    const jobIndex = new Map(world.jobs.map((j, i) => [j.streamId, i]));
    this.#jobOf = world.endpoints.map((e) => jobIndex.get(e.jobStreamId) ?? -1);
    this.#jobEndpoints = world.jobs.map(() => []);
    world.endpoints.forEach((e, i) => this.#jobEndpoints[this.#jobOf[i] ?? 0]?.push(i));
    this.#tenants = world.tenants.map(() => initialTenantState());
    writeSetup(this, options.start - 10 * MINUTE);
    placeRareEvents(this, options);
  }

  /** Whether the log holds the events asked for (or nothing is left to happen). */
  get done(): boolean {
    return this.log.events >= this.options.events || this.#heap.size === 0;
  }

  /** The next append requests, in log order: about `batchEvents` events (fewer at the end). */
  next(batchEvents: number): AppendRequest[] {
    while (this.log.pending < batchEvents && !this.done) {
      const action = this.#heap.pop();
      if (action) this.#do(action);
    }
    return this.log.take();
  }

  state(index: number): EndpointState {
    const state = this.#states[index];
    if (!state) throw new Error(`no endpoint ${index}`);
    return state;
  }

  holds(index: number): Holds {
    const job = this.#jobs[this.#jobOf[index] ?? -1] ?? null;
    const tenantId = this.world.endpoints[index]?.tenantId ?? '';
    const tenant = this.#tenants[this.world.tenants.indexOf(tenantId)];
    const disabled = tenant?.disabled;
    return holdsOf(
      job,
      disabled ? { tenantId, disabled: { reason: disabled.reason, actor: disabled.actor } } : null,
    );
  }

  metadata(
    index: number,
    actor: EventMetadata['actor'],
    extra: Partial<EventMetadata> = {},
  ): EventMetadata {
    return { tenantId: this.world.endpoints[index]?.tenantId ?? '', actor, ...extra };
  }

  apply(index: number, decided: readonly DomainEvent[], at: Millis, key?: string): number {
    const spec = this.world.endpoints[index];
    const state = this.state(index);
    if (!spec) throw new Error(`no endpoint ${index}`);
    const first = this.log.add(spec.streamId, state.version, decided, at, key);
    this.#states[index] = decided.reduce(evolve, state);
    return first;
  }

  later(action: Action): void {
    this.#heap.push(action);
  }

  reschedule(index: number, now: Millis): void {
    const state = this.state(index);
    const view = scheduleOf(state, now, this.holds(index));
    if (view.dueAt === null) this.#gens[index] = (this.#gens[index] ?? 0) + 1;
    else this.claimAt(index, Math.max(view.dueAt, now));
    for (const slot of ['interval', 'oneShot'] as const) {
      const hint = state.hints[slot];
      if (!hint || this.#expiring.has(hint.hintId)) continue;
      this.#expiring.add(hint.hintId);
      const at = hint.expiresAt + this.rng.int(50, 1_000);
      this.#heap.push({ at, kind: 'expire', index, hintId: hint.hintId, slot });
    }
  }

  claimAt(index: number, at: Millis): void {
    const gen = (this.#gens[index] ?? 0) + 1;
    this.#gens[index] = gen;
    // The dispatcher claims due rows in rounds: a few ms after the slot.
    this.#heap.push({ at: at + this.rng.int(1, 30), kind: 'tick', index, gen });
  }

  #do(action: Action): void {
    switch (action.kind) {
      case 'tick':
        if (action.gen === this.#gens[action.index]) tick(this, action.index, action.at);
        return;
      case 'respond':
        return respond(
          this,
          action.index,
          action.runId,
          action.traceparent,
          action.data,
          action.at,
        );
      case 'observe':
        return observe(this, action.index, action.edge, action.response, action.at);
      case 'steer':
        return steer(this, action.index, action.basedOn, action.at);
      case 'expire':
        return expire(this, action.index, action.hintId, action.slot, action.at);
      case 'resume':
        return resume(this, action.index, action.at);
      case 'job':
        return this.job(action.job, action.command, action.at);
      case 'tenant':
        return this.tenant(action.tenant, action.command, action.at);
    }
  }

  /** Decides a command on a job and appends it; its endpoints are scheduled again. */
  job(index: number, command: JobCommand, at: Millis): void {
    const spec = this.world.jobs[index];
    const state = this.#jobs[index];
    if (!spec || !state) return;
    const actor = { kind: 'user', id: `key-${spec.tenantId}` } as const;
    const decided = events(
      decideJob(command, state, { now: at, metadata: { tenantId: spec.tenantId, actor } }),
      'job',
    );
    const first = this.log.add(spec.streamId, state.version, decided, at);
    this.#jobs[index] = recorded(decided, spec.streamId, state.version, first, at).reduce(
      evolveJob,
      state,
    );
    // Its endpoints' schedules take the job's new state as an input.
    for (const i of this.#jobEndpoints[index] ?? []) this.reschedule(i, at);
  }

  /** Decides a command on a tenant and appends it; a status change reschedules its endpoints. */
  tenant(index: number, command: TenantCommand, at: Millis): void {
    const tenantId = this.world.tenants[index];
    const state = this.#tenants[index];
    if (tenantId === undefined || !state) return;
    const decided = events(
      decideTenant(command, state, { now: at, metadata: { tenantId, actor: ADMIN } }),
      'tenant',
    );
    const streamId = tenantStream(tenantId);
    const first = this.log.add(streamId, state.version, decided, at);
    this.#tenants[index] = recorded(decided, streamId, state.version, first, at).reduce(
      evolveTenant,
      state,
    );
    if (command.type === 'DisableTenant' || command.type === 'EnableTenant') {
      this.world.endpoints.forEach((e, i) => e.tenantId === tenantId && this.reschedule(i, at));
    }
  }
}
