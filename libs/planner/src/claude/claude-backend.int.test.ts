import { describe, expect, it } from 'vitest';
import { DEFAULT_CLAUDE_MODEL } from './index.js';
import { message, text, toolUse } from './fake-anthropic.test-support.js';
import { DOWNSTREAM, plannerContext, SELF, SIBLING } from './planner-fixtures.test-support.js';
import {
  planAgainst,
  submit,
  toolResults,
  useFakeAnthropic,
} from './session-harness.test-support.js';

const fakeApi = useFakeAnthropic();

describe('Claude planner backend: a session', () => {
  it('reads history, proposes an interval and submits, with the stable prefix cached', async () => {
    const fake = fakeApi();
    fake.enqueue(
      message(
        [
          text('Checking recent orders.'),
          toolUse('get_response_history', { endpoint_id: SELF, limit: 3 }),
        ],
        {
          input_tokens: 1500,
          output_tokens: 60,
          cache_creation_input_tokens: 2100,
        },
      ),
      message(
        [
          toolUse('propose_interval', {
            endpoint_id: SELF,
            interval_ms: 15_000,
            ttl_ms: 600_000,
            reason: 'recommended_interval_ms 15000',
          }),
        ],
        { input_tokens: 300, output_tokens: 70, cache_read_input_tokens: 3600 },
      ),
      message(
        [toolUse('submit_analysis', { reasoning: 'The backlog grew; the sync asked for 15 s.' })],
        {
          input_tokens: 200,
          output_tokens: 40,
          cache_read_input_tokens: 3900,
        },
      ),
    );
    const { result, tools } = await planAgainst(fake);

    expect(result.outcome).toBe('completed');
    expect(result.reasoning).toBe('The backlog grew; the sync asked for 15 s.');
    expect(result.proposals).toEqual([
      {
        targetEndpointId: SELF,
        action: { kind: 'interval', intervalMs: 15_000, ttlMs: 600_000 },
        reason: 'recommended_interval_ms 15000',
      },
    ]);
    expect(result.toolCalls.map((c) => [c.name, c.isError])).toEqual([
      ['get_response_history', false],
      ['propose_interval', false],
      ['submit_analysis', false],
    ]);
    expect(result.usage).toEqual({
      inputTokens: 2000,
      outputTokens: 170,
      cacheReadTokens: 7500,
      cacheWriteTokens: 2100,
      modelCalls: 3,
    });
    expect(result.model).toBe(DEFAULT_CLAUDE_MODEL);
    expect(tools.historyReads).toEqual([{ endpointId: SELF, limit: 3 }]);

    expect(fake.requests).toHaveLength(3);
    const first = fake.requests[0]!;
    expect(first.headers['authorization']).toBe('Bearer sk-ant-test');
    expect(first.body.model).toBe(DEFAULT_CLAUDE_MODEL);
    expect(first.body.max_tokens).toBe(1024);
    expect(first.body.system.at(-1).cache_control).toEqual({ type: 'ephemeral' });
    expect(first.body.cache_control).toEqual({ type: 'ephemeral' });
    expect(first.body.tools.map((t: { name: string }) => t.name)).toEqual([
      'get_response_history',
      'get_sibling_responses',
      'get_dependency_responses',
      'propose_interval',
      'propose_one_shot',
      'pause_until',
      'clear_hints',
      'submit_analysis',
    ]);
    // The stable prefix is byte-identical from one call to the next.
    expect(JSON.stringify(fake.requests[2]!.body.system)).toBe(JSON.stringify(first.body.system));
    expect(JSON.stringify(fake.requests[2]!.body.tools)).toBe(JSON.stringify(first.body.tools));
    const context = first.body.messages[0].content as string;
    expect(JSON.parse(context.slice(context.indexOf('{'), context.lastIndexOf('}') + 1))).toEqual(
      plannerContext(),
    );

    const [history] = toolResults(fake.requests[1]);
    expect(history.is_error).toBeUndefined();
    expect(JSON.parse(history.content).map((r: { runId: string }) => r.runId)).toEqual([
      `run-${SELF}-6`,
      `run-${SELF}-7`,
      `run-${SELF}-8`,
    ]);
    expect(JSON.parse(toolResults(fake.requests[2])[0].content)).toMatchObject({
      verdict: 'accepted',
    });
  });

  it('keeps an out-of-bounds proposal as requested and tells the model about the clamp', async () => {
    const fake = fakeApi();
    fake.enqueue(
      message([
        toolUse('propose_interval', {
          endpoint_id: SELF,
          interval_ms: 1_000,
          ttl_ms: 300_000,
          reason: 'hurry',
        }),
      ]),
      submit(),
    );
    const { result } = await planAgainst(fake);

    expect(result.outcome).toBe('completed');
    expect(result.proposals[0]?.action).toEqual({
      kind: 'interval',
      intervalMs: 1_000,
      ttlMs: 300_000,
    });
    const answer = JSON.parse(toolResults(fake.requests[1])[0].content);
    expect(answer).toMatchObject({
      verdict: 'clamped',
      requested: 1_000,
      applied: 5_000,
      bound: 'min',
    });
    expect(answer.note).toMatch(/clamped to the min bound, 5000/);
  });

  it('keeps a proposal the dry run refuses (a sibling it does not own) and says so', async () => {
    const fake = fakeApi();
    fake.enqueue(
      message([
        toolUse('propose_one_shot', { endpoint_id: SIBLING, ttl_ms: 60_000, reason: 'clean now' }),
      ]),
      message([
        toolUse('propose_one_shot', {
          endpoint_id: DOWNSTREAM,
          run_at: '2025-06-02T10:05:00Z',
          ttl_ms: 60_000,
          reason: 'export',
        }),
      ]),
      submit(),
    );
    const { result } = await planAgainst(fake);

    expect(result.outcome).toBe('completed');
    expect(result.proposals.map((p) => [p.targetEndpointId, p.action])).toEqual([
      [SIBLING, { kind: 'oneShot', ttlMs: 60_000 }],
      [DOWNSTREAM, { kind: 'oneShot', runAt: Date.parse('2025-06-02T10:05:00Z'), ttlMs: 60_000 }],
    ]);
    const refused = toolResults(fake.requests[1])[0];
    expect(refused.is_error).toBeUndefined();
    expect(JSON.parse(refused.content)).toMatchObject({ verdict: 'refused', rule: 'ownership' });
    expect(JSON.parse(toolResults(fake.requests[2])[0].content)).toMatchObject({
      verdict: 'accepted',
    });
  });
});
