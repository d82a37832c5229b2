// Test-only edge: testkit imports this lib (embedded Postgres) for its global setup.
import { waitFor } from '@orrery/testkit';
import type { EventStore } from '@orrery/domain';
import { expect, it } from 'vitest';
import { follow, isStrictlyIncreasing, paused, resumed, uniqueStream } from './contract-helpers.js';

/** Subscriptions: position order, each event once, checkpoints, failures, stop. */
export function subscribeContract(store: () => EventStore): void {
  it('delivers existing and then new events, in position order, each once', async () => {
    const head = await store().headPosition();
    const stream = uniqueStream('endpoint');
    await store().append(stream, [paused(), resumed()], { expectedVersion: 0 });
    const follower = follow(store(), head, { batchSize: 1 });
    await waitFor('the existing events', () => (follower.seen.length >= 2 ? true : undefined));

    const later = await store().append(stream, [paused()], { expectedVersion: 2 });
    await waitFor('the new event', () => (follower.seen.length >= 3 ? true : undefined));
    await follower.subscription.stop();

    expect(follower.seen.map((e) => e.streamVersion)).toEqual([1, 2, 3]);
    expect(follower.batches.every((b) => b.length === 1)).toBe(true);
    expect(follower.subscription.position).toBe(later.positions[0]);
    expect(follower.errors).toEqual([]);
  });

  it('resumes from a checkpoint without redelivering what came before it', async () => {
    const head = await store().headPosition();
    const stream = uniqueStream('endpoint');
    await store().append(stream, [paused(), resumed()], { expectedVersion: 0 });
    const first = follow(store(), head);
    await waitFor('the first two events', () => (first.seen.length >= 2 ? true : undefined));
    await first.subscription.stop();
    const checkpoint = first.subscription.position;

    await store().append(stream, [paused()], { expectedVersion: 2 });
    const resumedFollower = follow(store(), checkpoint);
    await waitFor('the third event', () => (resumedFollower.seen.length >= 1 ? true : undefined));
    await store().append(stream, [resumed()], { expectedVersion: 3 });
    await waitFor('the fourth event', () => (resumedFollower.seen.length >= 2 ? true : undefined));
    await resumedFollower.subscription.stop();

    expect(resumedFollower.seen.map((e) => e.streamVersion)).toEqual([3, 4]);
    expect(isStrictlyIncreasing(resumedFollower.seen.map((e) => e.position))).toBe(true);
  });

  it('stops and reports when the handler fails, without advancing past the failed batch', async () => {
    const head = await store().headPosition();
    await store().append(uniqueStream('endpoint'), [paused()], { expectedVersion: 0 });
    const failure = new Error('handler broke');
    const follower = follow(store(), head, {
      onEvents: async () => {
        throw failure;
      },
    });
    await waitFor('the handler failure', () => (follower.errors.length > 0 ? true : undefined));

    await store().append(uniqueStream('endpoint'), [resumed()], { expectedVersion: 0 });
    await follower.subscription.stop();
    expect(follower.errors).toEqual([failure]);
    expect(follower.subscription.position).toBe(head);
    expect(follower.seen).toEqual([]);
  });

  it('delivers nothing after stop()', async () => {
    const head = await store().headPosition();
    const follower = follow(store(), head);
    await follower.subscription.stop();
    await store().append(uniqueStream('endpoint'), [paused()], { expectedVersion: 0 });
    // A second subscription proves the event is deliverable; the stopped one stays empty.
    const witness = follow(store(), head);
    await waitFor('the witness to see the event', () =>
      witness.seen.length > 0 ? true : undefined,
    );
    await witness.subscription.stop();
    expect(follower.seen).toEqual([]);
  });
}
