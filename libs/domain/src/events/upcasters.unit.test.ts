import { describe, expect, it } from 'vitest';
import { catalogue, eventTypes } from './catalogue.js';
import { parseEvent, schemaVersionOf } from './event.js';
import { upcast, upcasters } from './upcasters.js';

const metadata = { tenantId: 't1', actor: { kind: 'planner' as const, id: 'heuristic' } };
const v1 = {
  proposalId: 'p1',
  slot: 'interval',
  source: 'planner',
  sourceId: 'heuristic',
  rule: 'anti_thrash',
  detail: 'turned twice in 30 min',
};

describe('upcasting events when read', () => {
  it('every type at version n > 1 has an upcaster from each older version', () => {
    for (const type of eventTypes) {
      for (let from = 1; from < catalogue[type].version; from++) {
        expect(upcasters[type]?.[from], `${type} v${from} → v${from + 1}`).toBeTypeOf('function');
      }
    }
  });

  it('given a HintRejected v1 with a slot and no kind, reads it as v2 with the kind of the slot', () => {
    expect(schemaVersionOf('HintRejected')).toBe(2);
    const parsed = parseEvent({ type: 'HintRejected', version: 1, data: v1, metadata });
    expect(parsed).toEqual({
      ok: true,
      value: { type: 'HintRejected', data: { ...v1, kind: 'interval' }, metadata },
    });
  });

  it('keeps the kind a v1 event already carried (pause and clear proposals have no slot)', () => {
    const { slot: _none, ...pause } = { ...v1, kind: 'pause' };
    expect(parseEvent({ type: 'HintRejected', version: 1, data: pause, metadata })).toMatchObject({
      ok: true,
      value: { data: { kind: 'pause' } },
    });
  });

  it('a v1 event with neither kind nor slot is unreadable, naming the field', () => {
    const { slot: _none, ...neither } = v1;
    expect(parseEvent({ type: 'HintRejected', version: 1, data: neither, metadata })).toMatchObject(
      { ok: false, error: { field: 'data.kind' } },
    );
  });

  it('a v2 event must carry its kind: current versions are never upcast', () => {
    expect(upcast('HintRejected', 2, v1)).toEqual({ ok: true, value: v1 });
    expect(parseEvent({ type: 'HintRejected', version: 2, data: v1, metadata })).toMatchObject({
      ok: false,
      error: { field: 'data.kind' },
    });
  });

  it('refuses versions it cannot reach: newer than the catalogue, below 1, or data not an object', () => {
    expect(upcast('HintRejected', 3, v1)).toMatchObject({ ok: false, error: { field: 'version' } });
    expect(upcast('HintRejected', 0, v1)).toMatchObject({ ok: false, error: { field: 'version' } });
    expect(upcast('HintRejected', 1, 'text')).toMatchObject({
      ok: false,
      error: { field: 'data' },
    });
  });
});
