import { describe, expect, it } from 'vitest';
import type { S } from './api.js';
import { bandsOf } from './bands.js';

let position = 0;
const event = (type: string, at: string, data: Record<string, unknown>): S<'Event'> =>
  ({
    position: ++position,
    streamId: 'endpoint-t.e',
    streamVersion: position,
    type,
    data,
    metadata: {},
    recordedAt: at,
  }) as unknown as S<'Event'>;

describe('timeline bands', () => {
  it('draws a pause up to its resume, and an open one until resumed', () => {
    const bands = bandsOf([
      event('Paused', '2030-01-01T00:00:00Z', { until: null, reason: 'maintenance' }),
      event('Resumed', '2030-01-01T00:01:00Z', {}),
      event('Paused', '2030-01-01T00:02:00Z', { until: null, reason: '' }),
    ]);
    expect(bands).toEqual([
      {
        kind: 'pause',
        label: 'Paused: maintenance',
        from: Date.parse('2030-01-01T00:00:00Z'),
        to: Date.parse('2030-01-01T00:01:00Z'),
      },
      {
        kind: 'pause',
        label: 'Paused (until resumed)',
        from: Date.parse('2030-01-01T00:02:00Z'),
        to: null,
      },
    ]);
  });

  it('ends a hint at its TTL or at the event that ended it first', () => {
    const bands = bandsOf([
      event('HintProposed', '2030-01-01T00:00:00Z', {
        slot: 'interval',
        hintId: 'h1',
        intervalMs: 6000,
        source: 'planner',
        expiresAt: '2030-01-01T00:00:30Z',
      }),
      event('HintProposed', '2030-01-01T00:01:00Z', {
        slot: 'interval',
        hintId: 'h2',
        intervalMs: 500,
        source: 'user',
        expiresAt: '2030-01-01T01:00:00Z',
      }),
      event('HintsCleared', '2030-01-01T00:02:00Z', { slots: ['interval'], hintIds: ['h2'] }),
    ]);
    expect(bands.map((b) => [b.label, b.to])).toEqual([
      ['Hint: every 6 s (planner)', Date.parse('2030-01-01T00:00:30Z')],
      ['Hint: every 0.5 s (user)', Date.parse('2030-01-01T00:02:00Z')],
    ]);
  });

  it('tells a closed gate from another skip', () => {
    const bands = bandsOf([
      event('RunSkipped', '2030-01-01T00:00:00Z', { reason: 'gate_closed', edgeId: 'a.b' }),
      event('RunSkipped', '2030-01-01T00:00:05Z', { reason: 'template_failed' }),
    ]);
    expect(bands.map((b) => [b.kind, b.label])).toEqual([
      ['gate', 'Gate closed (a.b): run skipped'],
      ['skip', 'Run skipped: template_failed'],
    ]);
  });
});
