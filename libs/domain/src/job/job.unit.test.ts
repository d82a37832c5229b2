import { describe, expect, it } from 'vitest';
import { foldWith } from '../decider.js';
import { makeEvent, type DomainEvent } from '../events/event.js';
import type { EventMetadata } from '../events/metadata.js';
import { defaultPlannerSettings } from '../planner/settings.js';
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

describe('planner settings', () => {
  const update = (planner: NonNullable<Extract<JobCommand, { type: 'UpdateJob' }>['planner']>) =>
    ({ type: 'UpdateJob', planner }) as const;

  it('given no settings, when created, then the job has the defaults', () => {
    expect(foldWith(jobDecider, [created]).planner).toEqual(defaultPlannerSettings);
    const decided = decide([], create());
    expect(decided).toMatchObject({ ok: true, value: [{ type: 'JobCreated' }] });
    expect(decided.ok && decided.value[0]?.data).not.toHaveProperty('planner');
  });

  it('given settings at creation, then the event carries them whole (defaults filled)', () => {
    const decided = decide([], create({ planner: { backend: 'heuristic' } }));
    if (!decided.ok) throw new Error(decided.error.message);
    const state = foldWith(jobDecider, decided.value);
    expect(state.planner).toEqual({ ...defaultPlannerSettings, backend: 'heuristic' });
    expect(decided.value[0]?.data).toMatchObject({ planner: state.planner });
  });

  it('when updated, then what the update leaves out keeps its value', () => {
    const off = makeEvent(
      'JobUpdated',
      { planner: { ...defaultPlannerSettings, enabled: false } },
      meta,
    );
    const decided = decide([created, off], update({ policy: { antiThrash: { maxChanges: 2 } } }));
    if (!decided.ok) throw new Error(decided.error.message);
    const state = foldWith(jobDecider, [created, off, ...decided.value]);
    expect(state.planner).toEqual({
      ...defaultPlannerSettings,
      enabled: false,
      policy: {
        ...defaultPlannerSettings.policy,
        antiThrash: { ...defaultPlannerSettings.policy.antiThrash, maxChanges: 2 },
      },
    });
  });

  it('an update that changes nothing appends nothing', () => {
    expect(decide([created], update({ enabled: true, backend: 'auto' }))).toEqual({
      ok: true,
      value: [],
    });
    expect(decide([created], update({}))).toEqual({ ok: true, value: [] });
  });

  it('refuses a value out of bounds, naming the field', () => {
    expect(decide([created], update({ policy: { antiThrash: { maxChanges: 0 } } }))).toMatchObject({
      ok: false,
      error: { code: 'validation', field: 'planner.policy.antiThrash.maxChanges' },
    });
    expect(decide([], create({ planner: { backend: 'gpt' as 'auto' } }))).toMatchObject({
      ok: false,
      error: { code: 'validation', field: 'planner.backend' },
    });
  });

  it('a create of an existing job compares its settings (absent meaning the defaults)', () => {
    expect(decide([created], create({ planner: {} }))).toEqual({ ok: true, value: [] });
    expect(decide([created], create({ planner: { enabled: false } }))).toMatchObject({
      ok: false,
      error: { code: 'conflict', field: 'planner.enabled' },
    });
  });
});
