import { ConcurrencyError, decideJob, foldJob, jobStream, makeEvent } from '@orrery/domain';
import { InMemoryEventStore } from '@orrery/event-store';
import { describe, expect, it, vi } from 'vitest';
import { ProblemError } from '../problem.js';
import { runCommand } from './run-command.js';

const metadata = { tenantId: 't1', actor: { kind: 'user' as const, id: 'u1' } };
const now = Date.parse('2026-01-01T00:00:00Z');

async function jobStore() {
  const store = new InMemoryEventStore();
  await store.append(
    jobStream('j1'),
    [makeEvent('JobCreated', { jobId: 'j1', tenantId: 't1', name: 'nightly' }, metadata)],
    { expectedVersion: 0 },
  );
  return store;
}

const rename = (name: string) => (state: ReturnType<typeof foldJob>) =>
  decideJob({ type: 'UpdateJob', name }, state, { now, metadata });

describe('runCommand', () => {
  it('re-reads and re-decides when a concurrent writer wins, so no command is dropped', async () => {
    const store = await jobStore();
    const append = store.append.bind(store);
    let raced = false;
    vi.spyOn(store, 'append').mockImplementation(async (streamId, events, options) => {
      if (!raced) {
        // Another writer renames the job between our read and our append.
        raced = true;
        await append(streamId, [makeEvent('JobUpdated', { name: 'by someone else' }, metadata)], {
          expectedVersion: 1,
        });
      }
      return append(streamId, events, options);
    });

    const { state } = await runCommand(store, jobStream('j1'), foldJob, rename('mine'));

    expect(state.name).toBe('mine');
    expect((await store.readStream(jobStream('j1'))).map((e) => e.type)).toEqual([
      'JobCreated',
      'JobUpdated',
      'JobUpdated',
    ]);
  });

  it('answers 409 after a bounded number of conflicts', async () => {
    const store = await jobStore();
    const append = vi
      .spyOn(store, 'append')
      .mockRejectedValue(new ConcurrencyError(jobStream('j1'), 1, 2));

    const attempt = runCommand(store, jobStream('j1'), foldJob, rename('x'), 3);

    await expect(attempt).rejects.toBeInstanceOf(ProblemError);
    await expect(attempt).rejects.toMatchObject({ code: 'conflict' });
    expect(append).toHaveBeenCalledTimes(3);
  });

  it('maps a refused command to its problem and appends nothing', async () => {
    const store = await jobStore();
    const attempt = runCommand(store, jobStream('nope'), foldJob, rename('x'));
    await expect(attempt).rejects.toMatchObject({ code: 'not_found' });
    expect(await store.headPosition()).toBe(1);
  });
});
