import { decide, evolve, queueCatalogue, type EventOf } from '@orrery/domain';
import { SECOND, T0, iso, registered, stateOf } from '@orrery/domain/testing';
import { describe, expect, it } from 'vitest';
import { executeMessage } from './execute-message.js';

const metadata = { tenantId: 't1', actor: { kind: 'system' as const, id: 'dispatcher-1' } };

function dispatchedAt(now: number, state = stateOf(registered('e1', endpointConfig))) {
  const result = decide({ type: 'Dispatch', leaseMarginMs: 5 * SECOND }, state, { now, metadata });
  if (!result.ok || result.value[0]?.type !== 'RunDispatched') throw new Error('not dispatched');
  const event = result.value[0] as EventOf<'RunDispatched'>;
  return { event, state: evolve(state, event) };
}

const endpointConfig = {
  timeoutMs: 2 * SECOND,
  responseCapBytes: 1024,
  request: {
    method: 'POST' as const,
    url: 'http://127.0.0.1:9/x',
    headers: { 'x-key': { value: 'v' } },
    body: '{}',
  },
};

describe('executeMessage', () => {
  it('carries the request, timeout, cap and lease of the dispatched run, as the catalogue reads it', () => {
    const { event, state } = dispatchedAt(T0 + 40);
    const message = executeMessage(event, state);
    expect(message).toEqual({
      id: `t1.${event.data.runId}`,
      data: {
        runId: event.data.runId,
        endpointId: 'e1',
        tenantId: 't1',
        scheduledFor: iso(T0),
        dispatchedAt: iso(T0 + 40),
        // The same lease as the RunDispatched: an executor taking the message later skips it.
        leaseUntil: iso(T0 + 40 + 7 * SECOND),
        attempt: 1,
        request: { ...endpointConfig.request, headers: { 'x-key': { value: 'v', secret: false } } },
        timeoutMs: 2 * SECOND,
        responseCapBytes: 1024,
        // Why it was dispatched, for the run's log line.
        reason: 'first_run',
      },
    });
    expect(queueCatalogue.execute.safeParse(message.data).success).toBe(true);
  });

  it('gives a re-dispatch its own id, and two tenants with the same run id different ids', () => {
    const first = dispatchedAt(T0);
    const again = dispatchedAt(T0 + 20 * SECOND, first.state);
    expect(executeMessage(again.event, again.state).id).toBe(`t1.${first.event.data.runId}-a2`);
    const other = { ...first.state, tenantId: 't2' };
    expect(executeMessage(first.event, other).id).not.toBe(
      executeMessage(first.event, first.state).id,
    );
  });
});
