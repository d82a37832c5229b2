import {
  fromIso,
  type DraftCheck,
  type EndpointView,
  type PlannerContext,
  type PlannerTools,
  type ProposalAction,
  type ProposalDraft,
} from '@orrery/domain';
import type { z } from 'zod';
import { describeIssues, TOOL_INPUTS, type ToolName } from './tool-inputs.js';

/** What one session's tool calls share. */
export interface ToolSession {
  readonly context: PlannerContext;
  readonly tools: PlannerTools;
  /** Every endpoint id of the context: self, siblings, upstreams, downstreams. */
  readonly knownIds: ReadonlySet<string>;
  readonly drafts: ProposalDraft[];
  /** The reasoning of submit_analysis, once called. */
  submitted: string | null;
}

/** A tool's answer to the model. */
export interface ToolAnswer {
  readonly output: string;
  readonly isError: boolean;
}

/** The most a tool answer may hold (the model's context is not a log). */
const MAX_OUTPUT_CHARS = 16_000;

const ok = (value: unknown): ToolAnswer => {
  const text = JSON.stringify(value);
  return {
    output:
      text.length <= MAX_OUTPUT_CHARS
        ? text
        : `${text.slice(0, MAX_OUTPUT_CHARS)}… (truncated: ask for fewer responses)`,
    isError: false,
  };
};
const fail = (message: string): ToolAnswer => ({ output: message, isError: true });

export function newToolSession(context: PlannerContext, tools: PlannerTools): ToolSession {
  const ids = [context.endpoint, ...context.siblings, ...context.upstreams, ...context.downstreams];
  return {
    context,
    tools,
    knownIds: new Set(ids.map((e) => e.endpointId)),
    drafts: [],
    submitted: null,
  };
}

/**
 * Runs one tool call. Malformed input, unknown tools and endpoint ids outside the context are
 * answered with an error (`isError`) that names the problem, so the model can retry.
 */
export async function runTool(s: ToolSession, name: string, input: unknown): Promise<ToolAnswer> {
  if (!isToolName(name)) return fail(`unknown tool "${name}"; use one of the tools you were given`);
  const parsed = TOOL_INPUTS[name].safeParse(input ?? {});
  if (!parsed.success) return fail(`invalid input: ${describeIssues(parsed.error)}`);
  // The schema and the handler are looked up by the same name, so the input fits the handler.
  const handler = HANDLERS[name] as (s: ToolSession, input: unknown) => Promise<ToolAnswer>;
  return handler(s, parsed.data);
}

const isToolName = (name: string): name is ToolName => Object.hasOwn(TOOL_INPUTS, name);

type Handlers = {
  [N in ToolName]: (
    s: ToolSession,
    input: z.output<(typeof TOOL_INPUTS)[N]>,
  ) => Promise<ToolAnswer>;
};

const HANDLERS: Handlers = {
  get_response_history: async (s, i) => {
    const unknown = unknownEndpoint(s, i.endpoint_id);
    if (unknown) return unknown;
    try {
      return ok(await s.tools.responseHistory(i.endpoint_id, i.limit));
    } catch (error) {
      return fail(`history unavailable: ${error instanceof Error ? error.message : String(error)}`);
    }
  },
  get_sibling_responses: async (s) => ok(s.context.siblings.map(view)),
  get_dependency_responses: async (s) =>
    ok({
      upstreams: s.context.upstreams.map((u) => ({ edgeId: u.edgeId, mode: u.mode, ...view(u) })),
      downstreams: s.context.downstreams.map((d) => ({
        edgeId: d.edgeId,
        mode: d.mode,
        ...view(d),
      })),
    }),
  propose_interval: async (s, i) =>
    propose(
      s,
      i.endpoint_id,
      { kind: 'interval', intervalMs: i.interval_ms, ttlMs: i.ttl_ms },
      i.reason,
    ),
  propose_one_shot: async (s, i) =>
    propose(
      s,
      i.endpoint_id,
      i.run_at === undefined
        ? { kind: 'oneShot', ttlMs: i.ttl_ms }
        : { kind: 'oneShot', runAt: fromIso(i.run_at), ttlMs: i.ttl_ms },
      i.reason,
    ),
  pause_until: async (s, i) =>
    propose(s, i.endpoint_id, { kind: 'pause', until: fromIso(i.until) }, i.reason),
  clear_hints: async (s, i) =>
    propose(
      s,
      i.endpoint_id,
      { kind: 'clear', slots: i.slots ?? ['interval', 'oneShot'] },
      i.reason,
    ),
  submit_analysis: async (s, i) => {
    s.submitted = i.reasoning;
    return ok({ submitted: true, proposals: s.drafts.length });
  },
};

function unknownEndpoint(s: ToolSession, endpointId: string): ToolAnswer | null {
  if (s.knownIds.has(endpointId)) return null;
  return fail(
    `endpoint_id: "${endpointId}" is not in this session's context; use one of ${[...s.knownIds].join(', ')}`,
  );
}

/** Keeps the draft (every draft becomes a proposal) and answers with the arbiter's dry run. */
function propose(
  s: ToolSession,
  endpointId: string,
  action: ProposalAction,
  reason: string,
): ToolAnswer {
  const unknown = unknownEndpoint(s, endpointId);
  if (unknown) return unknown;
  const draft: ProposalDraft = { targetEndpointId: endpointId, action, reason };
  const check = s.tools.check(draft);
  s.drafts.push(draft);
  return ok({ proposal: s.drafts.length, ...verdict(check) });
}

function verdict(check: DraftCheck): Record<string, unknown> {
  if (check.outcome === 'reject') {
    return {
      verdict: 'refused',
      rule: check.rule,
      detail: check.detail,
      note:
        `The arbiter would refuse this (rule ${check.rule ?? 'unknown'}). It is recorded and will ` +
        'be recorded as refused; do not repeat it unchanged.',
    };
  }
  if (check.clamped) {
    const { requested, applied, bound } = check.clamped;
    return {
      verdict: 'clamped',
      requested,
      applied,
      bound,
      detail: check.detail,
      note: `Out of bounds: ${requested} would be clamped to the ${bound} bound, ${applied}.`,
    };
  }
  return { verdict: 'accepted', note: 'The arbiter would accept this; it applies on submit.' };
}

/** An endpoint as the read tools show it. */
const view = (e: EndpointView) => ({
  endpointId: e.endpointId,
  jobId: e.jobId,
  name: e.name,
  baseline: e.baseline,
  paused: e.paused,
  hints: e.hints,
  consecutiveFailures: e.consecutiveFailures,
  latest: e.latest,
});
