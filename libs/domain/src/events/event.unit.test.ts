import { describe, expect, it } from 'vitest';
import { eventTypes } from './catalogue.js';
import { makeEvent, parseEvent, schemaVersionOf } from './event.js';

const metadata = { tenantId: 't1', actor: { kind: 'system' as const, id: 'dispatcher' } };

describe('event catalogue', () => {
  it('contains every event type the design brief names', () => {
    expect(eventTypes).toEqual(
      expect.arrayContaining([
        'EndpointRegistered',
        'EndpointReconfigured',
        'EndpointArchived',
        'DependencyDeclared',
        'DependencyRemoved',
        'RunDispatched',
        'ResponseRecorded',
        'RunSkipped',
        'HintProposed',
        'HintRejected',
        'HintExpired',
        'HintsCleared',
        'Paused',
        'Resumed',
        'CascadeTriggered',
        'PlannerSessionRecorded',
      ]),
    );
  });

  it('round-trips an event through storage form', () => {
    const event = makeEvent('Paused', { until: '2026-01-01T00:00:00.000Z' }, metadata);
    const stored = JSON.parse(JSON.stringify({ ...event, version: schemaVersionOf('Paused') }));
    expect(parseEvent(stored)).toEqual({
      ok: true,
      value: { ...event, data: { until: '2026-01-01T00:00:00.000Z', reason: '' } },
    });
  });

  it('refuses unknown types, unknown versions and invalid data, naming what is wrong', () => {
    expect(parseEvent({ type: 'Nope', version: 1, data: {}, metadata })).toMatchObject({
      ok: false,
      error: { code: 'validation', field: 'type' },
    });
    expect(parseEvent({ type: 'Resumed', version: 9, data: {}, metadata })).toMatchObject({
      ok: false,
      error: { field: 'version', message: expect.stringMatching(/v9/) },
    });
    expect(
      parseEvent({ type: 'Paused', version: 1, data: { until: 'tomorrow' }, metadata }),
    ).toMatchObject({
      ok: false,
      error: { field: 'data.until' },
    });
    expect(
      parseEvent({ type: 'Resumed', version: 1, data: {}, metadata: { tenantId: 't1' } }),
    ).toMatchObject({
      ok: false,
      error: { field: 'metadata.actor' },
    });
  });

  it('makeEvent throws on data that breaks its schema (a programming error)', () => {
    expect(() =>
      makeEvent('HintExpired', { hintId: '', slot: 'interval', expiresAt: 'x' }, metadata),
    ).toThrow();
  });
});
