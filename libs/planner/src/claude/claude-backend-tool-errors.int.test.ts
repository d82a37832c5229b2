import { describe, expect, it } from 'vitest';
import { message, toolUse } from './fake-anthropic.test-support.js';
import { SELF } from './planner-fixtures.test-support.js';
import {
  planAgainst,
  submit,
  toolResults,
  useFakeAnthropic,
} from './session-harness.test-support.js';

const fakeApi = useFakeAnthropic();

describe('Claude planner backend: tool calls it cannot run', () => {
  it('answers malformed input with an error naming the field, and the model retries', async () => {
    const fake = fakeApi();
    const proposal = { endpoint_id: SELF, ttl_ms: 600_000, reason: 'faster' };
    fake.enqueue(
      message([toolUse('propose_interval', { ...proposal, interval_ms: '15000' })]),
      message([toolUse('propose_interval', { ...proposal, interval_ms: 15_000 })]),
      submit(),
    );
    const { result, tools } = await planAgainst(fake);

    const [malformed] = toolResults(fake.requests[1]);
    expect(malformed.is_error).toBe(true);
    expect(malformed.content).toMatch(/interval_ms: expected number, received string/);
    expect(result.toolCalls.map((c) => c.isError)).toEqual([true, false, false]);
    expect(tools.checked).toHaveLength(1);
    expect(result.outcome).toBe('completed');
    expect(result.proposals).toHaveLength(1);
  });

  it('refuses endpoint ids outside the context as tool errors, with no draft', async () => {
    const fake = fakeApi();
    fake.enqueue(
      message([
        toolUse('pause_until', {
          endpoint_id: 'ep-elsewhere',
          until: '2025-06-02T11:00:00Z',
          reason: 'x',
        }),
        toolUse('get_response_history', { endpoint_id: 'ep-elsewhere' }),
      ]),
      submit('Nothing to do.'),
    );
    const { result, tools } = await planAgainst(fake);

    const answers = toolResults(fake.requests[1]);
    expect(answers.map((a) => a.is_error)).toEqual([true, true]);
    expect(answers[0].content).toMatch(
      /endpoint_id: "ep-elsewhere" is not in this session's context/,
    );
    expect(tools.checked).toEqual([]);
    expect(tools.historyReads).toEqual([]);
    expect(result.outcome).toBe('completed');
    expect(result.proposals).toEqual([]);
  });

  it('answers a tool it does not have with an error', async () => {
    const fake = fakeApi();
    fake.enqueue(message([toolUse('delete_endpoint', { endpoint_id: SELF })]), submit());
    const { result } = await planAgainst(fake);

    const [answer] = toolResults(fake.requests[1]);
    expect(answer.is_error).toBe(true);
    expect(answer.content).toMatch(/unknown tool "delete_endpoint"/);
    expect(result.outcome).toBe('completed');
  });
});
