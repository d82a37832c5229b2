import {
  ConcurrencyError,
  jobDecider,
  jobStream,
  makeEvent,
  type AppendRequest,
  type JobState,
} from '@orrery/domain';
import { describe, expect, it, vi } from 'vitest';
import { handleCommand } from './command-handler.js';
import { InMemoryEventStore } from './memory-event-store.js';

const metadata = { tenantId: 't1', actor: { kind: 'user' as const, id: 'u1' } };
const now = () => Date.parse('2026-01-01T00:00:00Z');
const stream = jobStream('t1', 'j1');
const created = makeEvent('JobCreated', { jobId: 'j1', tenantId: 't1', name: 'nightly' }, metadata);
const renamed = (name: string) => makeEvent('JobUpdated', { name }, metadata);
const rename = (name: string) => ({ type: 'UpdateJob' as const, name });

async function jobStore() {
  const store = new InMemoryEventStore();
  await store.append(stream, [created], { expectedVersion: 0 });
  return store;
}

describe('handleCommand', () => {
  it('given a job, when renamed, then one JobUpdated at the next version and the state after it', async () => {
    const store = await jobStore();
    const result = await handleCommand(store, jobDecider, stream, rename('mine'), {
      now,
      metadata,
    });
    expect(result).toMatchObject({
      ok: true,
      state: { name: 'mine', version: 2 },
      duplicate: false,
    });
    expect((await store.readStream(stream)).map((e) => e.type)).toEqual([
      'JobCreated',
      'JobUpdated',
    ]);
  });

  it('re-reads and re-decides when a concurrent writer wins, so no command is dropped', async () => {
    const store = await jobStore();
    let raced = false;
    const append = async (request: AppendRequest) => {
      if (!raced) {
        // Another writer renames the job between our read and our append.
        raced = true;
        await store.append(stream, [renamed('by someone else')], { expectedVersion: 1 });
      }
      const [outcome] = await store.appendEach([request]);
      return outcome!;
    };
    const result = await handleCommand(store, jobDecider, stream, rename('mine'), {
      now,
      metadata,
      append,
    });
    expect(result).toMatchObject({ ok: true, state: { name: 'mine', version: 3 } });
    expect((await store.readStream(stream)).map((e) => e.type)).toEqual([
      'JobCreated',
      'JobUpdated',
      'JobUpdated',
    ]);
  });

  it('answers a conflict after a bounded number of rounds', async () => {
    const store = await jobStore();
    const append = vi.fn(async () => new ConcurrencyError(stream, 1, 2));
    const result = await handleCommand(store, jobDecider, stream, rename('x'), {
      now,
      metadata,
      append,
      attempts: 3,
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(append).toHaveBeenCalledTimes(3);
  });

  it('returns a refusal as a value and appends nothing', async () => {
    const store = await jobStore();
    const result = await handleCommand(store, jobDecider, jobStream('t1', 'nope'), rename('x'), {
      now,
      metadata,
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await store.headPosition()).toBe(1);
  });

  it('starts from a snapshot and reads only the events after its version', async () => {
    const store = await jobStore();
    await store.append(stream, [renamed('second')], { expectedVersion: 1 });
    const read = vi.spyOn(store, 'readStream');
    const snapshot: JobState = jobDecider.evolve(jobDecider.initialState(), created);
    const result = await handleCommand(store, jobDecider, stream, rename('third'), {
      now,
      metadata,
      snapshot: async () => snapshot,
    });
    expect(result).toMatchObject({ ok: true, state: { name: 'third', version: 3 } });
    expect(read).toHaveBeenCalledWith(stream, { fromVersion: 2 });
  });

  it('appends a keyed command once; a retry is a duplicate with no second effect', async () => {
    const store = await jobStore();
    const options = { now, metadata, idempotencyKey: 'from-event-42' };
    const first = await handleCommand(store, jobDecider, stream, rename('once'), options);
    const again = await handleCommand(store, jobDecider, stream, rename('twice'), options);
    expect(first).toMatchObject({ ok: true, duplicate: false });
    expect(again).toMatchObject({ ok: true, duplicate: true, events: [] });
    expect(await store.readStream(stream)).toHaveLength(2);
  });

  it('answers a conflict at once when another stream the decision read has moved', async () => {
    const store = await jobStore();
    const other = jobStream('t1', 'other');
    await store.append(other, [created], { expectedVersion: 0 });
    const result = await handleCommand(store, jobDecider, stream, rename('x'), {
      now,
      metadata,
      conditions: [{ streamId: other, version: 0 }],
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(await store.readStream(stream)).toHaveLength(1);
  });
});
