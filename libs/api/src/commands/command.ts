import { handleCommand, type CommandOptions } from '@orrery/event-store';
import type { Decider, EventStore, Millis } from '@orrery/domain';
import { fromDomainError } from '../problem.js';

/**
 * Runs a command through the one command handler and answers a refusal as the problem it maps
 * to (validation 400, not_found 404, conflict 409, precondition 412): for route handlers, which
 * throw problems. `fieldOf` spells a domain field as the request does (e.g. `config.name` →
 * `body.name`). Returns the events appended and the state after them.
 */
export async function command<State extends { readonly version: number }, Command>(
  store: EventStore,
  decider: Decider<State, Command>,
  streamId: string,
  cmd: Command | ((state: State, now: Millis) => Command),
  options: CommandOptions<State>,
  fieldOf?: (path: string) => string,
) {
  const result = await handleCommand(store, decider, streamId, cmd, options);
  if (!result.ok) throw fromDomainError(result.error, fieldOf);
  return result;
}
