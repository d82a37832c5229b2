import { makeEvent, type EventDataInput, type EventType, type RecordedEvent } from '@orrery/domain';
import { describe, expect, it } from 'vitest';
import { summarizeEvent } from './event-summary.js';

/** An event of `type` as read back from the log. */
const recorded = <T extends EventType>(type: T, data: EventDataInput<T>): RecordedEvent =>
  ({
    ...makeEvent(type, data, { tenantId: 't', actor: { kind: 'user', id: 'u' } }),
    position: 9,
    streamId: 'endpoint-t.e',
    streamVersion: 3,
    recordedAt: '2025-01-01T00:00:00.000Z',
  }) as RecordedEvent;

describe('summarizeEvent', () => {
  it('says why a run was dispatched, how late, and how it ended', () => {
    const dispatched = recorded('RunDispatched', {
      runId: 'r1',
      scheduledFor: '2025-01-01T00:00:00.000Z',
      dispatchedAt: '2025-01-01T00:00:01.500Z',
      leaseUntil: '2025-01-01T00:01:00.000Z',
      attempt: 2,
      reason: 'one_shot_hint',
      hintId: 'h1',
    });
    expect(summarizeEvent(dispatched)).toBe(
      'run r1 dispatched (one_shot_hint, hint h1), slot 2025-01-01T00:00:00.000Z, 1.5 s late, attempt 2',
    );
    const failed = recorded('ResponseRecorded', {
      runId: 'r1',
      startedAt: '2025-01-01T00:00:01.500Z',
      finishedAt: '2025-01-01T00:00:11.500Z',
      durationMs: 10_000,
      status: null,
      ok: false,
      headers: {},
      body: null,
      bodyTruncated: false,
      error: { kind: 'timeout', message: 'no answer in 10 s\nstack' },
    });
    expect(summarizeEvent(failed)).toBe('run r1 → failed (timeout: no answer in 10 s) in 10 s');
  });

  it('names the rule and the decision that won a refusal, and the proposal behind a pause', () => {
    const refused = recorded('HintRejected', {
      proposalId: 'p1',
      kind: 'oneShot',
      source: 'planner',
      sourceId: 's1',
      rule: 'pause_wins',
      detail: 'the endpoint is paused',
      winner: { kind: 'pause', until: null },
    });
    expect(summarizeEvent(refused)).toBe(
      'proposal p1 (oneShot) from planner:s1 refused by rule pause_wins: the endpoint is paused; ' +
        'winner: the pause indefinitely (until resumed)',
    );
    const paused = recorded('Paused', {
      until: '2025-01-02T00:00:00.000Z',
      reason: 'upstream down',
      proposalId: 'p2',
      source: 'planner',
    });
    expect(summarizeEvent(paused)).toBe(
      'paused until 2025-01-02T00:00:00.000Z by proposal p2 (planner) — upstream down',
    );
    const cleared = recorded('HintsCleared', { slots: ['interval', 'oneShot'], hintIds: ['h1'] });
    expect(summarizeEvent(cleared)).toBe('hints cleared (interval, oneShot): h1');
  });
});
