import {
  ConcurrencyError,
  foldWith,
  type AppendOutcome,
  type AppendRequest,
  type Decider,
  type DomainError,
  type DomainEvent,
  type EventMetadata,
  type EventStore,
  type Millis,
  type StreamCondition,
} from '@orrery/domain';

/** How a command is run. Only `now` and `metadata` are required. */
export interface CommandOptions<State> {
  /** The clock of the decision (read once per attempt). */
  readonly now: () => Millis;
  /** Tenant, actor and causation of the events the command appends. */
  readonly metadata: EventMetadata;
  /**
   * A state to start from instead of the stream's first event — a read model's copy of the
   * state at some stream version (null: none, fold from the start). Only the events after its
   * version are read, so a command costs the same on a stream of ten events or ten million.
   */
  readonly snapshot?: () => Promise<State | null>;
  /**
   * `first` (default): read the events after the snapshot before deciding. `on-conflict`: the
   * caller knows the snapshot is most likely current (the dispatcher's freshly claimed row), so
   * decide on it at once and read the tail only if the append finds the stream has moved.
   */
  readonly readTail?: 'first' | 'on-conflict';
  /** Appends the request; default: the store's `appendEach`. A group-commit batcher fits here. */
  readonly append?: (request: AppendRequest) => Promise<AppendOutcome>;
  /**
   * Makes the append idempotent: a key derived from what caused the command (an event, a run),
   * or from the events decided (e.g. `dispatch:<runId>:<attempt>`).
   */
  readonly idempotencyKey?: string | ((events: readonly DomainEvent[]) => string);
  /**
   * Other streams the decision depends on, at the versions it saw. If one moved, the command is
   * answered as a conflict at once (re-reading this stream would not refresh that input).
   */
  readonly conditions?: readonly StreamCondition[];
  /** Decide-append rounds before a conflict is the answer. Default 5. */
  readonly attempts?: number;
}

/** The outcome of a command: the events it appended and the state after them, or a refusal. */
export type CommandResult<State> =
  | {
      readonly ok: true;
      /** The events appended (none when the command was already satisfied, or a duplicate). */
      readonly events: readonly DomainEvent[];
      readonly positions: readonly number[];
      /** The state after the events (for a duplicate: the state the command was decided on). */
      readonly state: State;
      /** The idempotency key was already in the stream: nothing was appended. */
      readonly duplicate: boolean;
    }
  | { readonly ok: false; readonly error: DomainError };

/**
 * The one way to run a command on a stream: read (a snapshot and the tail after it) → fold →
 * decide → append at the version read. When another writer appended first, the tail is read
 * again and the command decided again on the new state — never silently dropped — up to
 * `attempts` times; then the answer is a `conflict`. A refusal from the decider is returned as
 * it is (a value, not an exception); only a broken store throws.
 *
 * `command` may be a function of the state and the decision's time, to build the command from
 * what was read (a merge, a derived id); it is called again on every attempt.
 *
 * @example
 * const result = await handleCommand(store, endpointDecider, endpointStream(tenant, id),
 *   { type: 'Pause', until: null }, { now: Date.now, metadata });
 * if (!result.ok) throw toProblem(result.error);
 */
export async function handleCommand<State extends { readonly version: number }, Command>(
  store: EventStore,
  decider: Decider<State, Command>,
  streamId: string,
  command: Command | ((state: State, now: Millis) => Command),
  options: CommandOptions<State>,
): Promise<CommandResult<State>> {
  const attempts = options.attempts ?? 5;
  const append =
    options.append ??
    (async (request: AppendRequest) => {
      const [outcome] = await store.appendEach([request]);
      if (!outcome) throw new Error('appendEach returned no outcome for one request');
      return outcome;
    });
  let state = (await options.snapshot?.()) ?? decider.initialState();
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1 || options.readTail !== 'on-conflict') {
      const tail = await store.readStream(streamId, { fromVersion: state.version + 1 });
      state = foldWith(decider, tail, state);
    }
    const now = options.now();
    const resolved =
      typeof command === 'function'
        ? (command as (state: State, now: Millis) => Command)(state, now)
        : command;
    const decided = decider.decide(resolved, state, { now, metadata: options.metadata });
    if (!decided.ok) return decided;
    const events = decided.value;
    if (events.length === 0) return { ok: true, events, positions: [], state, duplicate: false };
    const key =
      typeof options.idempotencyKey === 'function'
        ? options.idempotencyKey(events)
        : options.idempotencyKey;
    const outcome = await append({
      streamId,
      expectedVersion: state.version,
      events,
      ...(key === undefined ? {} : { idempotencyKey: key }),
      ...(options.conditions === undefined ? {} : { conditions: options.conditions }),
    });
    if (!(outcome instanceof ConcurrencyError)) {
      if (outcome.duplicate) return { ok: true, events: [], positions: [], state, duplicate: true };
      // Folded with their positions, as if read back (what the state remembers of positions).
      const placed = events.map((event, i) => ({ ...event, position: outcome.positions[i] }));
      const after = foldWith(decider, placed, state);
      return { ok: true, events, positions: outcome.positions, state: after, duplicate: false };
    }
    if (outcome.streamId !== streamId) {
      return conflict(`${outcome.message} (an input of the decision changed)`, outcome);
    }
    if (attempt >= attempts) {
      return conflict(`${streamId} kept changing under concurrent writers; try again`, outcome);
    }
  }
}

const conflict = (message: string, cause: ConcurrencyError) =>
  ({
    ok: false,
    error: {
      code: 'conflict',
      message,
      details: { streamId: cause.streamId, expected: cause.expected, actual: cause.actual },
    },
  }) as const;
