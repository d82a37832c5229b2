import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A content block of a scripted reply. */
export type FakeBlock =
  | { readonly type: 'text'; readonly text: string }
  | {
      readonly type: 'tool_use';
      readonly id: string;
      readonly name: string;
      readonly input: unknown;
    };

export interface FakeUsage {
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cache_creation_input_tokens: number;
  readonly cache_read_input_tokens: number;
}

/** What the fake answers to the next POST /v1/messages. */
export type FakeReply =
  | {
      readonly kind: 'message';
      readonly content: readonly FakeBlock[];
      readonly stopReason: string;
      readonly usage: FakeUsage;
    }
  | {
      readonly kind: 'error';
      readonly status: number;
      readonly errorType: string;
      readonly message: string;
      /** Sent as `retry-after-ms` (the SDK honours it over its own backoff). */
      readonly retryAfterMs?: number;
    }
  /** Never answers (until the client gives up or the fake closes). */
  | { readonly kind: 'hang' };

/** A request as the fake received it (its body is what the SDK sent). */
export interface RecordedRequest {
  readonly at: number;
  readonly headers: IncomingHttpHeaders;
  // The wire format, read loosely: tests assert on it field by field.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

let ids = 0;
export const toolUse = (name: string, input: unknown): FakeBlock => ({
  type: 'tool_use',
  id: `toolu_fake_${++ids}`,
  name,
  input,
});
export const text = (value: string): FakeBlock => ({ type: 'text', text: value });

/** A model reply: `tool_use` when it calls a tool, `end_turn` otherwise. */
export const message = (
  blocks: readonly FakeBlock[],
  usage: Partial<FakeUsage> = {},
): FakeReply => ({
  kind: 'message',
  content: blocks,
  stopReason: blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn',
  usage: {
    input_tokens: 100,
    output_tokens: 20,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    ...usage,
  },
});
export const apiError = (
  status: number,
  errorType: string,
  msg: string,
  retryAfterMs = 10,
): FakeReply => ({ kind: 'error', status, errorType, message: msg, retryAfterMs });
export const hang = (): FakeReply => ({ kind: 'hang' });

export interface FakeAnthropic {
  /** Give it to the SDK as `baseURL`. */
  readonly baseURL: string;
  readonly requests: RecordedRequest[];
  /** Queue replies, answered in order. A request with none queued gets a 500. */
  enqueue(...replies: FakeReply[]): void;
  /** Replies still queued. */
  pending(): number;
  close(): Promise<void>;
}

/**
 * A loopback fake of the Anthropic Messages API (POST /v1/messages), scripted per test. Like the
 * real API it refuses (400) a conversation that breaks the tool-use protocol: roles must
 * alternate from `user`, and every `tool_use` must be answered by a `tool_result` first thing
 * in the next user message.
 */
export async function startFakeAnthropic(): Promise<FakeAnthropic> {
  const queue: FakeReply[] = [];
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url?.split('?')[0] !== '/v1/messages') {
        return send(res, 404, errorBody('not_found_error', `${req.method} ${req.url}`));
      }
      const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      requests.push({ at: Date.now(), headers: req.headers, body });
      const invalid = protocolError(body);
      if (invalid) return send(res, 400, errorBody('invalid_request_error', invalid));
      const reply = queue.shift();
      if (!reply) return send(res, 500, errorBody('api_error', 'fake: no reply scripted'));
      if (reply.kind === 'hang') return;
      if (reply.kind === 'error') {
        const headers =
          reply.retryAfterMs === undefined ? {} : { 'retry-after-ms': `${reply.retryAfterMs}` };
        return send(res, reply.status, errorBody(reply.errorType, reply.message), headers);
      }
      send(res, 200, {
        id: `msg_fake_${requests.length}`,
        type: 'message',
        role: 'assistant',
        model: (body as { model?: unknown }).model,
        content: reply.content,
        stop_reason: reply.stopReason,
        stop_sequence: null,
        stop_details: null,
        container: null,
        diagnostics: null,
        usage: reply.usage,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...replies) => void queue.push(...replies),
    pending: () => queue.length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const errorBody = (type: string, message: string) => ({
  type: 'error',
  error: { type, message },
  request_id: 'req_fake',
});

function send(res: ServerResponse, status: number, body: unknown, headers = {}): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'request-id': 'req_fake',
    ...headers,
  });
  res.end(JSON.stringify(body));
}

interface WireMessage {
  role?: string;
  content?: string | { type?: string; id?: string; tool_use_id?: string }[];
}

/** What the real API would refuse in this request, or null. */
function protocolError(body: unknown): string | null {
  const b = body as { model?: unknown; max_tokens?: unknown; messages?: WireMessage[] };
  if (typeof b.model !== 'string') return 'model: field required';
  if (typeof b.max_tokens !== 'number') return 'max_tokens: field required';
  const messages = b.messages;
  if (!Array.isArray(messages) || messages.length === 0) return 'messages: field required';
  for (const [i, m] of messages.entries()) {
    if (m.role !== (i % 2 === 0 ? 'user' : 'assistant'))
      return `messages.${i}: roles must alternate`;
    const blocks = typeof m.content === 'string' ? [] : (m.content ?? []);
    if (m.role !== 'assistant') continue;
    const asked = blocks.filter((c) => c.type === 'tool_use').map((c) => c.id);
    const next = messages[i + 1];
    if (asked.length === 0 || !next) continue;
    const answered = typeof next.content === 'string' ? [] : (next.content ?? []);
    const lead = answered.slice(0, asked.length);
    const ids = new Set(lead.map((c) => (c.type === 'tool_result' ? c.tool_use_id : undefined)));
    if (asked.some((id) => !ids.has(id))) {
      return `messages.${i + 1}: tool_use ids ${asked.join(', ')} need tool_result blocks first`;
    }
  }
  return null;
}
