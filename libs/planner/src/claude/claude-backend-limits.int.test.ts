import { describe, expect, it } from 'vitest';
import { message, text, toolUse } from './fake-anthropic.test-support.js';
import { histories, responses, SELF } from './planner-fixtures.test-support.js';
import { planAgainst, submit, useFakeAnthropic } from './session-harness.test-support.js';

const fakeApi = useFakeAnthropic();

describe('Claude planner backend: sessions that do not complete', () => {
  it('ends as step_limit when the model never submits, returning its drafts', async () => {
    const fake = fakeApi();
    fake.enqueue(
      message([
        toolUse('propose_one_shot', { endpoint_id: SELF, ttl_ms: 60_000, reason: 'check' }),
      ]),
      message([toolUse('get_sibling_responses', {})]),
      message([toolUse('get_dependency_responses', {})]),
      submit('too late: never asked for'),
    );
    const { result } = await planAgainst(fake, { maxSteps: 3 });

    expect(result.outcome).toBe('step_limit');
    expect(fake.requests).toHaveLength(3);
    expect(fake.pending()).toBe(1);
    // Its last call was told so, after the tool results.
    expect(fake.requests[2]?.body.messages.at(-1).content.at(-1).text).toMatch(/last step/);
    expect(fake.requests[1]?.body.messages.at(-1).content.at(-1).type).toBe('tool_result');
    expect(result.proposals).toEqual([
      { targetEndpointId: SELF, action: { kind: 'oneShot', ttlMs: 60_000 }, reason: 'check' },
    ]);
    expect(result.usage.modelCalls).toBe(3);
    expect(result.toolCalls.map((c) => c.name)).toEqual([
      'propose_one_shot',
      'get_sibling_responses',
      'get_dependency_responses',
    ]);
  });

  it('fails a session whose model stops talking without submit_analysis', async () => {
    const fake = fakeApi();
    fake.enqueue(
      message([
        toolUse('propose_interval', {
          endpoint_id: SELF,
          interval_ms: 15_000,
          ttl_ms: 600_000,
          reason: 'faster',
        }),
      ]),
      message([text('I would run it every 15 s.')]),
    );
    const { result } = await planAgainst(fake);

    expect(result.outcome).toBe('failed');
    expect(result.detail).toBe('the model ended without submit_analysis');
    expect(result.reasoning).toBe('I would run it every 15 s.');
    expect(result.proposals).toHaveLength(1);
  });

  it('fails a session that spends more tokens than its budget', async () => {
    const fake = fakeApi();
    const big = { input_tokens: 2_000, output_tokens: 100, cache_read_input_tokens: 3_000 };
    fake.enqueue(
      message([toolUse('get_sibling_responses', {})], big),
      message([toolUse('get_dependency_responses', {})], big),
      submit(),
    );
    const { result } = await planAgainst(fake, { maxSessionTokens: 8_000 });

    expect(result.outcome).toBe('failed');
    expect(result.detail).toBe('token budget exceeded: 10200 > 8000');
    expect(fake.requests).toHaveLength(2);
    expect(result.usage).toMatchObject({
      inputTokens: 4_000,
      cacheReadTokens: 6_000,
      modelCalls: 2,
    });
  });

  it('records long tool answers truncated to 4000 characters', async () => {
    const fake = fakeApi();
    fake.enqueue(
      message([toolUse('get_response_history', { endpoint_id: SELF, limit: 50 })]),
      submit(),
    );
    const h = histories();
    h.set(SELF, responses(SELF, 40, { orders_pending: 240 }));
    const { result } = await planAgainst(fake, {}, { h });

    const history = result.toolCalls[0];
    expect(history?.output).toHaveLength(4000);
    // The model itself got the whole answer.
    const sent = fake.requests[1]?.body.messages.at(-1).content[0].content as string;
    expect(sent.length).toBeGreaterThan(4000);
    expect(JSON.parse(sent)).toHaveLength(40);
  });
});
