import { describe, expect, it } from 'vitest';
import { foldWith } from '../decider.js';
import { makeEvent, type DomainEvent } from '../events/event.js';
import type { EventMetadata } from '../events/metadata.js';
import { jobDecider, type JobCommand } from './job.js';

const meta: EventMetadata = { tenantId: 't1', actor: { kind: 'user', id: 'key:k1' } };
const created = makeEvent(
  'JobCreated',
  { jobId: 'nightly', tenantId: 't1', name: 'Nightly', description: '' },
  meta,
);
const create = (extra: Partial<Extract<JobCommand, { type: 'CreateJob' }>> = {}): JobCommand => ({
  type: 'CreateJob',
  jobId: 'nightly',
  tenantId: 't1',
  name: 'Nightly',
  ...extra,
});
const decide = (history: readonly DomainEvent[], command: JobCommand) =>
  jobDecider.decide(command, foldWith(jobDecider, history), { now: 0, metadata: meta });

describe('CreateJob of a job that exists (idempotent per id)', () => {
  it('is already satisfied by the same name and description (absent means empty)', () => {
    expect(decide([created], create())).toEqual({ ok: true, value: [] });
    expect(decide([created], create({ description: '' }))).toEqual({ ok: true, value: [] });
  });

  it('refuses a different body, naming the fields that differ', () => {
    const result = decide([created], create({ name: 'Daily', description: 'x' }));
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: 'conflict',
        message: 'job nightly already exists with a different name, description',
        field: 'name',
      },
    });
  });

  it('compares with the job as it is now: a renamed job refuses its first name', () => {
    const renamed = makeEvent('JobUpdated', { name: 'Nightly v2' }, meta);
    expect(decide([created, renamed], create())).toMatchObject({ error: { code: 'conflict' } });
    expect(decide([created, renamed], create({ name: 'Nightly v2' }))).toEqual({
      ok: true,
      value: [],
    });
  });

  it('refuses an archived job, even with the same body', () => {
    const archived = makeEvent('JobArchived', { reason: '' }, meta);
    expect(decide([created, archived], create())).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: expect.stringMatching(/archived/) },
    });
  });
});
