import type Anthropic from '@anthropic-ai/sdk';
import type {
  ContentBlock,
  ContentBlockParam,
  Message,
  MessageParam,
  TextBlockParam,
  ToolResultBlockParam,
  ToolUseBlock,
  Usage,
} from '@anthropic-ai/sdk/resources/messages';
import {
  NO_TOKENS,
  type PlannerContext,
  type PlannerTools,
  type PlanResult,
  type SessionOutcome,
  type TokenUsage,
  type ToolCallRecord,
} from '@orrery/domain';
import { endSpan, noopInstrumentation, SpanKind, type Instrumentation } from '@orrery/telemetry';
import type { Logger } from 'pino';
import { describeApiFailure } from './api-failure.js';
import { contextMessage, SYSTEM_PROMPT } from './prompt.js';
import { TOOL_DEFINITIONS } from './tool-definitions.js';
import { newToolSession, runTool } from './tool-handlers.js';

/** The limits of one session (see ClaudeBackendOptions). */
export interface SessionSettings {
  readonly model: string;
  readonly maxSteps: number;
  readonly maxTokens: number;
  readonly maxSessionTokens: number;
  readonly timeoutMs: number;
  readonly log?: Logger;
  /** Each model call is a span, a child of the span active where the session runs. */
  readonly tracer?: Instrumentation['tracer'];
}

/** The limits of the session record (PlannerSessionData): tool calls, chars of answers, reasoning, detail. */
const MAX_TOOL_CALLS = 64;
const MAX_RECORDED_OUTPUT = 4000;
const MAX_REASONING = 8000;
const MAX_DETAIL = 2000;
const NO_SUBMIT = 'the model ended without submit_analysis';
/** Said with the answers before the last model call (tool results must come first). */
const LAST_STEP: TextBlockParam = {
  type: 'text',
  text: 'This is your last step: call submit_analysis now, or nothing you proposed is applied.',
};

/**
 * One planner session: the Messages API tool-use loop, until submit_analysis, a reply without a
 * tool call, the step or token limit, or an API failure the SDK's retries did not cure. Never
 * throws for those: each is an outcome with a detail.
 */
export async function runSession(
  client: Anthropic,
  settings: SessionSettings,
  input: { context: PlannerContext; tools: PlannerTools; signal?: AbortSignal },
): Promise<PlanResult> {
  const { log, model } = settings;
  const session = newToolSession(input.context, input.tools);
  const messages: MessageParam[] = [{ role: 'user', content: contextMessage(input.context) }];
  const usage = { ...NO_TOKENS };
  const toolCalls: ToolCallRecord[] = [];
  const texts: string[] = [];
  const end = (outcome: SessionOutcome, detail?: string): PlanResult => {
    if (outcome !== 'completed') log?.warn({ outcome, detail, usage }, 'planner session ended');
    const reasoning = session.submitted ?? texts.join('\n');
    return {
      outcome,
      ...(detail === undefined ? {} : { detail: detail.slice(0, MAX_DETAIL) }),
      reasoning: reasoning.slice(0, MAX_REASONING),
      proposals: session.drafts,
      toolCalls,
      usage,
      model,
    };
  };

  for (let step = 1; step <= settings.maxSteps; step++) {
    if (input.signal?.aborted) return end('failed', 'aborted');
    let reply: Message;
    const span = startModelCallSpan(settings, step);
    try {
      reply = await client.messages.create(
        {
          model,
          max_tokens: settings.maxTokens,
          // The stable prefix (tools, then system) ends here: one cache entry for every session.
          system: [{ type: 'text', text: SYSTEM_PROMPT, cache_control: { type: 'ephemeral' } }],
          tools: [...TOOL_DEFINITIONS],
          messages,
          // Automatic caching of the conversation so far: each step re-reads the previous ones.
          cache_control: { type: 'ephemeral' },
        },
        { signal: input.signal ?? null },
      );
      endModelCallSpan(span, reply);
    } catch (error) {
      endSpan(span, error);
      const detail = describeApiFailure(error, settings.timeoutMs);
      if (detail === null) throw error;
      return end('failed', detail);
    }
    addUsage(usage, reply.usage);
    log?.debug({ step, stopReason: reply.stop_reason, usage: reply.usage }, 'planner model reply');
    texts.push(...reply.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])));
    const uses = reply.content.filter((b): b is ToolUseBlock => b.type === 'tool_use');
    if (uses.length === 0) {
      const why = reply.stop_reason === 'end_turn' ? '' : ` (stop_reason: ${reply.stop_reason})`;
      return end('failed', NO_SUBMIT + why);
    }
    if (toolCalls.length + uses.length > MAX_TOOL_CALLS) {
      return end('failed', `the model made more than ${MAX_TOOL_CALLS} tool calls`);
    }
    const results: ToolResultBlockParam[] = [];
    for (const use of uses) {
      const answer = await runTool(session, use.name, use.input);
      toolCalls.push({
        name: use.name.slice(0, 200),
        input: use.input,
        output: answer.output.slice(0, MAX_RECORDED_OUTPUT),
        isError: answer.isError,
      });
      results.push({
        type: 'tool_result',
        tool_use_id: use.id,
        content: answer.output,
        ...(answer.isError ? { is_error: true } : {}),
      });
    }
    if (session.submitted !== null) return end('completed');
    const spent = totalTokens(usage);
    if (spent > settings.maxSessionTokens) {
      return end('failed', `token budget exceeded: ${spent} > ${settings.maxSessionTokens}`);
    }
    messages.push({ role: 'assistant', content: reply.content.flatMap(asParam) });
    const last = step + 1 === settings.maxSteps;
    messages.push({ role: 'user', content: last ? [...results, LAST_STEP] : results });
  }
  return end('step_limit', `no submit_analysis after ${settings.maxSteps} model calls`);
}

type Span = ReturnType<Instrumentation['tracer']['startSpan']>;

/**
 * One model call's span, after the OpenTelemetry GenAI conventions (`chat <model>`, a client
 * span): the model asked for, the tokens asked at most, and the step of the session.
 */
function startModelCallSpan(settings: SessionSettings, step: number): Span {
  const tracer = settings.tracer ?? noopInstrumentation.tracer;
  return tracer.startSpan(`chat ${settings.model}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': settings.model,
      'gen_ai.request.max_tokens': settings.maxTokens,
      'orrery.planner.step': step,
    },
  });
}

/** The reply's model, id, stop reason and tokens (input with the prompt cache's reads and writes). */
function endModelCallSpan(span: Span, reply: Message): void {
  const { usage } = reply;
  span.setAttributes({
    'gen_ai.response.model': reply.model,
    'gen_ai.response.id': reply.id,
    'gen_ai.response.finish_reasons': reply.stop_reason === null ? [] : [reply.stop_reason],
    'gen_ai.usage.input_tokens':
      usage.input_tokens +
      (usage.cache_read_input_tokens ?? 0) +
      (usage.cache_creation_input_tokens ?? 0),
    'gen_ai.usage.output_tokens': usage.output_tokens,
  });
  endSpan(span);
}

/** A reply's blocks as the next request repeats them (text and tool calls: nothing else is enabled). */
function asParam(block: ContentBlock): ContentBlockParam[] {
  if (block.type === 'text') return [{ type: 'text', text: block.text }];
  if (block.type === 'tool_use') {
    return [{ type: 'tool_use', id: block.id, name: block.name, input: block.input }];
  }
  return [];
}

function addUsage(sum: TokenUsage, u: Usage): void {
  sum.inputTokens += u.input_tokens;
  sum.outputTokens += u.output_tokens;
  sum.cacheReadTokens += u.cache_read_input_tokens ?? 0;
  sum.cacheWriteTokens += u.cache_creation_input_tokens ?? 0;
  sum.modelCalls += 1;
}

/** Every token the session made the API process: input (cached or not) and output. */
const totalTokens = (u: TokenUsage): number =>
  u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens + u.outputTokens;
