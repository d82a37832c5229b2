import { ConcurrencyError, type DomainEvent, type EventStore, type Result } from '@orrery/domain';
import { fromDomainError, ProblemError } from '../problem.js';

/**
 * Read a stream, fold it, decide, append at the version read. A concurrent
 * writer makes the append fail with ConcurrencyError: the command is re-read
 * and re-decided, a bounded number of times, then answered 409.
 */
export async function runCommand<S extends { version: number }>(
  store: EventStore,
  streamId: string,
  fold: (events: readonly DomainEvent[]) => S,
  decide: (state: S) => Result<readonly DomainEvent[]>,
  attempts = 5,
): Promise<{ state: S; events: readonly DomainEvent[]; positions: readonly number[] }> {
  for (let attempt = 1; ; attempt++) {
    const history = await store.readStream(streamId);
    const state = fold(history);
    const decision = decide(state);
    if (!decision.ok) throw fromDomainError(decision.error);
    if (decision.value.length === 0) return { state, events: [], positions: [] };
    try {
      const { positions } = await store.append(streamId, decision.value, {
        expectedVersion: state.version,
      });
      return { state: fold([...history, ...decision.value]), events: decision.value, positions };
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
      if (attempt >= attempts) {
        throw new ProblemError(
          'conflict',
          `${streamId} kept changing under concurrent writers; try again`,
        );
      }
    }
  }
}
