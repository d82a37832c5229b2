import type { Result } from './errors.js';
import type { DomainEvent, RecordedEvent } from './events/event.js';
import type { EventMetadata } from './events/metadata.js';
import type { Millis } from './time.js';

/** What a decision needs besides the command and the state: the time and who asks. */
export interface DecideContext {
  readonly now: Millis;
  readonly metadata: EventMetadata;
}

/** A decided command: the events to append (none when already satisfied), or a coded refusal. */
export type Decided = Result<readonly DomainEvent[]>;

/**
 * The one shape of every aggregate (endpoint, job, tenant): an initial state, `evolve` to fold
 * one event into it, and `decide` to turn a command into events. All three are pure; time and
 * ids are inputs. State carries `version`, the stream version of the last folded event, which a
 * command appends at (optimistic concurrency).
 *
 * `stateVersion` is the schema version of the folded state: a stored snapshot of another
 * version is never trusted; the stream is folded again instead.
 *
 * @example
 * const state = fold(endpointDecider, events);
 * const decided = endpointDecider.decide({ type: 'Resume' }, state, { now, metadata });
 */
export interface Decider<State extends { readonly version: number }, Command> {
  readonly name: string;
  readonly stateVersion: number;
  readonly initialState: () => State;
  /** Folds one event; `recordedAt` is there when the event was read back from the log. */
  readonly evolve: (state: State, event: DomainEvent | RecordedEvent) => State;
  readonly decide: (command: Command, state: State, ctx: DecideContext) => Decided;
  /**
   * Optional: folds many events at once, to the state folding them one by one with `evolve`
   * gives, for a state that `evolve` must copy whole (the tenant graph's edges): one copy per
   * fold rather than one per event, so a long stream folds in O(N), not O(N²). Used by
   * {@link foldWith}.
   */
  readonly evolveMany?: (state: State, events: readonly (DomainEvent | RecordedEvent)[]) => State;
}

/** Folds `events` with a decider, from its initial state or from `from` (a snapshot). */
export function foldWith<State extends { readonly version: number }, Command>(
  decider: Decider<State, Command>,
  events: readonly (DomainEvent | RecordedEvent)[],
  from: State = decider.initialState(),
): State {
  return decider.evolveMany
    ? decider.evolveMany(from, events)
    : events.reduce(decider.evolve, from);
}
