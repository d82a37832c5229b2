import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** What an openapi-fetch call answers: the typed body, or the problem of a 4xx/5xx. */
export interface Answer<T> {
  readonly data?: T;
  readonly error?: unknown;
  readonly response: Response;
}

/** The API's RFC 9457 problem, as far as a tool reads it. */
interface ProblemLike {
  readonly status?: number;
  readonly title?: string;
  readonly detail?: string;
  readonly errors?: readonly { readonly field: string; readonly message: string }[];
  readonly refusal?: {
    readonly rule: string;
    readonly detail: string;
    readonly winner?: { readonly kind: string; readonly source?: string; readonly until?: unknown };
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The API names a field by where it was sent (`body.intervalMs`, `querystring.at`,
 * `params.endpointId`); a tool's arguments carry the same names without the prefix.
 */
export const toolField = (field: string): string =>
  field.replace(/^(body|querystring|query|params|headers)\.?/, '') || field;

/** A result: the readable text first, then the same content as JSON, and as structured content. */
export function toolResult(text: string, structured: Record<string, unknown>): CallToolResult {
  return {
    content: [
      { type: 'text', text },
      { type: 'text', text: JSON.stringify(structured, null, 2) },
    ],
    structuredContent: structured,
  };
}

/** A tool error with a message and, when known, the fields to blame and the arbiter's refusal. */
export function toolError(
  message: string,
  structured: Record<string, unknown> = {},
): CallToolResult {
  return {
    isError: true,
    content: [{ type: 'text', text: message }],
    structuredContent: { error: message, ...structured },
  };
}

/**
 * A failed API call as a tool error: the status, the detail, each field by its argument name
 * (under `within`, for issues at a path inside one argument, such as a pipeline document).
 */
export function problemError(error: unknown, response: Response, within?: string): CallToolResult {
  const problem: ProblemLike = isRecord(error) ? error : {};
  const status = problem.status ?? response.status;
  const detail = problem.detail ?? (typeof error === 'string' ? error : response.statusText);
  const fields = (problem.errors ?? []).map((e) => ({
    field: within === undefined ? toolField(e.field) : `${within}.${e.field}`,
    message: e.message,
  }));
  const lines = [`${status} ${problem.title ?? 'Error'}: ${detail}`];
  for (const f of fields) lines.push(`${f.field}: ${f.message}`);
  const refusal = problem.refusal;
  if (refusal) {
    const winner = refusal.winner
      ? `; the decision that won: ${refusal.winner.kind}` +
        (refusal.winner.source ? ` (${refusal.winner.source})` : '') +
        (refusal.winner.until !== undefined
          ? ` until ${String(refusal.winner.until ?? 'resumed')}`
          : '')
      : '';
    lines.push(`refused by the arbiter, rule ${refusal.rule}${winner}`);
  }
  return toolError(lines.join('\n'), {
    status,
    ...(fields.length > 0 ? { fields } : {}),
    ...(refusal ? { refusal } : {}),
    ...(isRecord(error) ? { problem: error } : {}),
  });
}

/**
 * Runs an API call and answers the tool result `render` makes of its body, or the problem as a
 * tool error.
 */
export async function fromApi<T>(
  call: Promise<Answer<T>>,
  render: (data: T) => CallToolResult,
): Promise<CallToolResult> {
  const { data, error, response } = await call;
  if (error !== undefined || data === undefined || !response.ok) {
    return problemError(error, response);
  }
  return render(data);
}
