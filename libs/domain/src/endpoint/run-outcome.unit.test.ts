import { describe, expect, it } from 'vitest';
import { runOutcome, type OutcomeInput } from './run-outcome.js';

const answer = (status: number | null, extra: Partial<OutcomeInput> = {}): OutcomeInput => ({
  status,
  bodyTruncated: false,
  ...extra,
});
const cut = { kind: 'too_large' as const, message: 'response body exceeded 10 bytes' };

describe('runOutcome', () => {
  it('is pending until a response is recorded', () => {
    expect(runOutcome(null)).toBe('pending');
  });

  it('says succeeded only for a complete 2xx answer', () => {
    expect(runOutcome(answer(200))).toBe('succeeded');
    expect(runOutcome(answer(204))).toBe('succeeded');
  });

  it('says http_error, whatever the body, for a status outside 2xx', () => {
    expect(runOutcome(answer(500))).toBe('http_error');
    expect(runOutcome(answer(404))).toBe('http_error');
    expect(runOutcome(answer(302))).toBe('http_error');
    expect(runOutcome(answer(199))).toBe('http_error');
    expect(runOutcome(answer(503, { bodyTruncated: true, error: cut }))).toBe('http_error');
  });

  it('says truncated for a 2xx answer whose body was cut at the cap', () => {
    expect(runOutcome(answer(200, { bodyTruncated: true, error: cut }))).toBe('truncated');
  });

  it('names the failure when no complete answer arrived, even after a status', () => {
    for (const kind of ['timeout', 'network', 'refused', 'internal'] as const) {
      expect(runOutcome(answer(null, { error: { kind, message: 'x' } }))).toBe(kind);
    }
    // A 200 whose body stalled past the deadline: the call timed out.
    const stalled = answer(200, { bodyTruncated: true, error: { kind: 'timeout', message: 'x' } });
    expect(runOutcome(stalled)).toBe('timeout');
  });
});
