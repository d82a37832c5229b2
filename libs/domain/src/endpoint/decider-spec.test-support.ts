import { expect } from 'vitest';
import type { DomainErrorCode } from '../errors.js';
import type { DomainEvent } from '../events/event.js';
import type { EventMetadata } from '../events/metadata.js';
import type { EndpointCommand } from './commands.js';
import { decide } from './decide.js';
import { fold } from './evolve.js';

export const userMeta: EventMetadata = { tenantId: 't1', actor: { kind: 'user', id: 'u1' } };

/**
 * Given/when/then for the endpoint decider: given past events, when a command
 * is decided at `now`, then exactly these events (compared by type and data),
 * or this coded refusal.
 */
export function given(history: readonly DomainEvent[]) {
  return {
    when(command: EndpointCommand, now: number, metadata: EventMetadata = userMeta) {
      const result = decide(command, fold(history), { now, metadata });
      return {
        then(expected: ReadonlyArray<Pick<DomainEvent, 'type'> & { data: object }>) {
          if (!result.ok)
            throw new Error(`expected events, got ${result.error.code}: ${result.error.message}`);
          expect(result.value.map(({ type, data }) => ({ type, data }))).toEqual(expected);
          return result.value;
        },
        thenFails(code: DomainErrorCode, message?: RegExp, field?: string) {
          if (result.ok) throw new Error(`expected ${code}, got ${JSON.stringify(result.value)}`);
          expect(result.error.code).toBe(code);
          if (message) expect(result.error.message).toMatch(message);
          if (field) expect(result.error.field).toBe(field);
        },
      };
    },
  };
}
