import {
  ConcurrencyError,
  decide,
  endpointStream,
  evolve,
  fold,
  type DomainError,
  type DomainEvent,
  type EndpointCommand,
  type EndpointState,
  type EventMetadata,
  type EventStore,
} from '@orrery/domain';

export type CommandOutcome =
  | {
      readonly ok: true;
      /** The events appended (none when the command was already satisfied). */
      readonly events: readonly DomainEvent[];
      readonly positions: readonly number[];
      /** The endpoint's state after them. */
      readonly state: EndpointState;
    }
  | { readonly ok: false; readonly error: DomainError };

/**
 * Runs a command against an endpoint: read its stream, fold, decide, append at
 * the version read. When a concurrent writer wins, the command is re-read and
 * re-decided (never silently dropped), up to `attempts` times; after that it
 * is answered as a conflict.
 */
export async function executeEndpointCommand(
  store: EventStore,
  endpointId: string,
  command: EndpointCommand,
  ctx: { now: () => number; metadata: EventMetadata; attempts?: number },
): Promise<CommandOutcome> {
  const streamId = endpointStream(endpointId);
  const attempts = ctx.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const state = fold(await store.readStream(streamId));
    const decision = decide(command, state, { now: ctx.now(), metadata: ctx.metadata });
    if (!decision.ok) return decision;
    if (decision.value.length === 0) return { ok: true, events: [], positions: [], state };
    try {
      const { positions } = await store.append(streamId, decision.value, {
        expectedVersion: state.version,
      });
      return {
        ok: true,
        events: decision.value,
        positions,
        state: decision.value.reduce(evolve, state),
      };
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
      if (attempt >= attempts) {
        return {
          ok: false,
          error: { code: 'conflict', message: `endpoint ${endpointId} kept changing; try again` },
        };
      }
    }
  }
}
