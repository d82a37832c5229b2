import type { ResponseSummary } from '@orrery/domain';
import pino from 'pino';
import { afterEach, beforeEach } from 'vitest';
import { createClaudeBackend, type ClaudeBackendOptions } from './claude-backend.js';
import {
  message,
  startFakeAnthropic,
  toolUse,
  type FakeAnthropic,
  type FakeReply,
  type RecordedRequest,
} from './fake-anthropic.test-support.js';
import { histories, memoryPlannerTools, plannerContext } from './planner-fixtures.test-support.js';

/** A fresh fake Messages API for each test of the file. */
export function useFakeAnthropic(): () => FakeAnthropic {
  let fake: FakeAnthropic | undefined;
  beforeEach(async () => {
    fake = await startFakeAnthropic();
  });
  afterEach(async () => {
    await fake?.close();
  });
  return () => {
    if (!fake) throw new Error('useFakeAnthropic: no test is running');
    return fake;
  };
}

const log = pino({ level: 'silent' });

/** One session of a Claude backend against `fake`, on the fixture context and in-memory tools. */
export async function planAgainst(
  fake: FakeAnthropic,
  options: Partial<ClaudeBackendOptions> = {},
  { signal, h = histories() }: { signal?: AbortSignal; h?: Map<string, ResponseSummary[]> } = {},
) {
  const context = plannerContext(h);
  const tools = memoryPlannerTools(context, h);
  const backend = createClaudeBackend({
    apiKey: 'sk-ant-test',
    baseURL: fake.baseURL,
    maxRetries: 0,
    timeoutMs: 5_000,
    log,
    ...options,
  });
  const started = Date.now();
  const result = await backend.plan({ context, tools, ...(signal ? { signal } : {}) });
  return { result, tools, elapsedMs: Date.now() - started };
}

/** The tool_result blocks a request carried (its last user message). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const toolResults = (request: RecordedRequest | undefined): any[] =>
  request?.body.messages.at(-1).content ?? [];

/** A reply that ends the session. */
export const submit = (reasoning = 'Followed the signal.'): FakeReply =>
  message([toolUse('submit_analysis', { reasoning })]);
