import { idempotencyContract } from './idempotency.contract.js';
import type { EventStore } from '@orrery/domain';
import { afterEach, beforeEach, describe } from 'vitest';
import { appendReadContract } from './append-read.contract.js';
import { subscribeContract } from './subscribe.contract.js';

/**
 * The behaviour every EventStore adapter must share. Call it from an adapter's
 * test file with a factory; each test gets a fresh store (closed after it),
 * and may share the database with other tests, so it uses unique streams and
 * reads from the head it found.
 *
 * @example
 * eventStoreContract('InMemoryEventStore', async () => new InMemoryEventStore());
 */
export function eventStoreContract(name: string, create: () => Promise<EventStore>): void {
  describe(`${name} (EventStore contract)`, () => {
    let current: EventStore | undefined;
    beforeEach(async () => {
      current = await create();
    });
    afterEach(async () => {
      await current?.close();
      current = undefined;
    });
    const store = (): EventStore => {
      if (!current) throw new Error('the store exists only inside tests');
      return current;
    };
    describe('append and read', () => appendReadContract(store));
    describe('subscribe', () => subscribeContract(store));
    describe('idempotency and appendEach', () => idempotencyContract(store));
  });
}
