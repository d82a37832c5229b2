import type { Tool } from '@anthropic-ai/sdk/resources/messages';
import type { ToolName } from './tool-inputs.js';

const endpointId = {
  type: 'string',
  description:
    'An endpoint id from the context: the analysed endpoint, a sibling, an upstream or a downstream.',
};
const reason = {
  type: 'string',
  description: 'Why, in one sentence a person reading the audit log can check (max 500 chars).',
};
const ttlMs = {
  type: 'integer',
  minimum: 1,
  description: 'How long the hint lives, in milliseconds from now; it lapses by itself after.',
};
const instant = (what: string) => ({
  type: 'string',
  format: 'date-time',
  description: `${what} (ISO-8601 with an offset, e.g. 2025-06-01T12:00:00Z).`,
});

const tool = (
  name: ToolName,
  description: string,
  properties: Record<string, unknown>,
  required: string[],
): Tool => ({
  name,
  description,
  input_schema: { type: 'object', properties, required, additionalProperties: false },
});

/**
 * The planner's tools, in a fixed order: they are part of the cached prompt prefix, so the
 * definitions must be byte-identical across sessions.
 */
export const TOOL_DEFINITIONS: readonly Tool[] = [
  tool(
    'get_response_history',
    'Recent recorded responses of one endpoint in the context, oldest first. Read-only.',
    {
      endpoint_id: endpointId,
      limit: { type: 'integer', minimum: 1, maximum: 50, description: 'How many (default 20).' },
    },
    ['endpoint_id'],
  ),
  tool(
    'get_sibling_responses',
    'The latest response, state and live hints of every sibling (same job). Read-only.',
    {},
    [],
  ),
  tool(
    'get_dependency_responses',
    'The latest response, state and live hints of every declared upstream and downstream ' +
      '(any job), with the edge id and mode. Read-only.',
    {},
    [],
  ),
  tool(
    'propose_interval',
    'Propose running an endpoint every interval_ms for ttl_ms, in place of its baseline. ' +
      "Answers with the arbiter's dry-run verdict (accepted, clamped or refused by a rule).",
    {
      endpoint_id: endpointId,
      interval_ms: { type: 'integer', minimum: 1, description: 'The interval, in milliseconds.' },
      ttl_ms: ttlMs,
      reason,
    },
    ['endpoint_id', 'interval_ms', 'ttl_ms', 'reason'],
  ),
  tool(
    'propose_one_shot',
    'Propose one extra run of an endpoint, at run_at or now, lapsing after ttl_ms if it has ' +
      "not run. Answers with the arbiter's dry-run verdict.",
    {
      endpoint_id: endpointId,
      run_at: instant('When to run; omit for now'),
      ttl_ms: ttlMs,
      reason,
    },
    ['endpoint_id', 'ttl_ms', 'reason'],
  ),
  tool(
    'pause_until',
    "Propose holding an endpoint (no runs) until an instant. Answers with the arbiter's " +
      'dry-run verdict.',
    { endpoint_id: endpointId, until: instant('When the pause ends'), reason },
    ['endpoint_id', 'until', 'reason'],
  ),
  tool(
    'clear_hints',
    'Propose ending the live hints of an endpoint (back to its baseline). Answers with the ' +
      "arbiter's dry-run verdict.",
    {
      endpoint_id: endpointId,
      slots: {
        type: 'array',
        items: { type: 'string', enum: ['interval', 'oneShot'] },
        minItems: 1,
        description: 'Which hint slots to clear (default both).',
      },
      reason,
    },
    ['endpoint_id', 'reason'],
  ),
  tool(
    'submit_analysis',
    'Finish the session: your account of what you saw and why you proposed what you did (or ' +
      'nothing). Required: without it nothing you proposed is applied.',
    { reasoning: { type: 'string', description: 'Your analysis (max 8000 chars).' } },
    ['reasoning'],
  ),
];
