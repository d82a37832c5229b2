import { MAX_DURATION_MS } from '@orrery/domain';
import { z } from 'zod';

/**
 * The input of each tool, as the model must send it. The JSON schemas the model sees are in
 * tool-definitions.ts; these zod schemas are what is enforced, so a malformed input is answered
 * with an error that names the field and the model can retry.
 */
const EndpointId = z.string().min(1).max(200);
const Duration = z.number().int().positive().max(MAX_DURATION_MS);
const Instant = z.iso.datetime({ offset: true });
const Reason = z.string().min(1).max(500);

export const HistoryInput = z.object({
  endpoint_id: EndpointId,
  limit: z.number().int().min(1).max(50).default(20),
});

export const NoInput = z.object({});

export const ProposeIntervalInput = z.object({
  endpoint_id: EndpointId,
  interval_ms: Duration,
  ttl_ms: Duration,
  reason: Reason,
});

export const ProposeOneShotInput = z.object({
  endpoint_id: EndpointId,
  run_at: Instant.optional(),
  ttl_ms: Duration,
  reason: Reason,
});

export const PauseUntilInput = z.object({
  endpoint_id: EndpointId,
  until: Instant,
  reason: Reason,
});

export const ClearHintsInput = z.object({
  endpoint_id: EndpointId,
  slots: z
    .array(z.enum(['interval', 'oneShot']))
    .min(1)
    .max(2)
    .optional(),
  reason: Reason,
});

export const SubmitInput = z.object({
  reasoning: z.string().min(1).max(8000),
});

/** Every tool's input schema, by tool name. */
export const TOOL_INPUTS = {
  get_response_history: HistoryInput,
  get_sibling_responses: NoInput,
  get_dependency_responses: NoInput,
  propose_interval: ProposeIntervalInput,
  propose_one_shot: ProposeOneShotInput,
  pause_until: PauseUntilInput,
  clear_hints: ClearHintsInput,
  submit_analysis: SubmitInput,
} as const;
export type ToolName = keyof typeof TOOL_INPUTS;

/** "interval_ms: expected number, received string; reason: …" — every issue with its field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.length > 0 ? issue.path.join('.') : '(input)';
      return `${field}: ${issue.message.replace(/^Invalid input: /, '')}`;
    })
    .join('; ');
}
