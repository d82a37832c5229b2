import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { OrreryClient, Schema } from '@orrery/api-client';
import { z } from 'zod';
import { fromApi, toolResult } from '../results.js';

const endpointId = z.string().min(1).describe('The endpoint id (as list_endpoints shows it)');
const jobId = z.string().min(1).describe('The job id (as list_jobs shows it)');
const reason = z.string().max(500).optional().describe('Why: recorded with the decision');
const until = z
  .string()
  .optional()
  .describe('When the pause ends (an ISO-8601 instant in the future); omit to pause until resumed');
const steering = { readOnlyHint: false, destructiveHint: false, openWorldHint: false } as const;

const hintText = (hint: Schema<'Hint'>): string =>
  hint.kind === 'interval'
    ? `interval hint ${hint.hintId} accepted: every ${hint.intervalMs} ms until ${hint.expiresAt}` +
      (hint.clamped
        ? ` (clamped from ${hint.clamped.requested} ms to the ${hint.clamped.bound} bound)`
        : '')
    : `one-shot hint ${hint.hintId} accepted: a run at ${hint.runAt} (live until ${hint.expiresAt})`;

/**
 * Steering: hints and run-now are the agent's proposals (source `agent`, decided by the arbiter);
 * pause and resume act with the key's authority, as the REST routes do.
 */
export function registerSteerTools(server: McpServer, api: OrreryClient): void {
  server.registerTool(
    'propose_hint',
    {
      title: 'Propose a hint (as an agent)',
      description:
        "Proposes a time-bounded change to an endpoint's schedule, as source `agent`: an " +
        'interval that replaces the baseline for ttlMs, or a one-shot run (at runAt, in inMs, or ' +
        'now). The arbiter decides it: a pause holds agents off (pause_wins), a live user or ' +
        "cascade hint outranks it (precedence), an interval is clamped to the endpoint's bounds, " +
        'and turning the interval back and forth too often is refused (anti_thrash). A refusal ' +
        'is a tool error naming the rule and the decision that won; it is recorded as a conflict.',
      inputSchema: {
        endpointId,
        kind: z.enum(['interval', 'oneShot']).describe('An interval hint, or one extra run'),
        intervalMs: z
          .number()
          .int()
          .positive()
          .optional()
          .describe('kind interval: the interval in ms that replaces the baseline'),
        ttlMs: z
          .number()
          .int()
          .positive()
          .optional()
          .describe(
            'How long the hint lives, in ms (interval: required; one-shot: default until 10 ' +
              'minutes after its run time)',
          ),
        runAt: z.string().optional().describe('kind oneShot: when to run (ISO-8601 instant)'),
        inMs: z.number().int().min(0).optional().describe('kind oneShot: run this long from now'),
        basedOnPosition: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe(
            "explain_endpoint's asOf.position: refused as stale when the endpoint has a newer " +
              'response, pause or resume',
          ),
        reason,
      },
      annotations: steering,
    },
    async ({ endpointId: id, kind, intervalMs, ttlMs, runAt, inMs, basedOnPosition, ...rest }) => {
      const common = {
        source: 'agent' as const,
        ...rest,
        ...(basedOnPosition === undefined ? {} : { basedOnPosition }),
      };
      let body: Schema<'HintCreateInput'>;
      if (kind === 'interval') {
        if (intervalMs === undefined) throw new Error('intervalMs: required for an interval hint');
        if (ttlMs === undefined) throw new Error('ttlMs: required for an interval hint');
        if (runAt !== undefined || inMs !== undefined) {
          throw new Error(`${runAt !== undefined ? 'runAt' : 'inMs'}: only for a one-shot hint`);
        }
        body = { kind, intervalMs, ttlMs, ...common };
      } else {
        if (intervalMs !== undefined) throw new Error('intervalMs: only for an interval hint');
        body = {
          kind,
          ...common,
          ...(ttlMs === undefined ? {} : { ttlMs }),
          ...(runAt === undefined ? {} : { runAt }),
          ...(inMs === undefined ? {} : { inMs }),
        };
      }
      return fromApi(
        api.POST('/v1/endpoints/{endpointId}/hints', {
          params: { path: { endpointId: id } },
          body,
        }),
        (hint) => toolResult(hintText(hint), hint),
      );
    },
  );

  server.registerTool(
    'run_now',
    {
      title: 'Run an endpoint now (as an agent)',
      description:
        'Proposes one run now (a one-shot hint, live 10 minutes) as source `agent`. Refused ' +
        "while the endpoint or its job is paused, or while a user's or cascade's one-shot is " +
        'pending: the tool error names the rule.',
      inputSchema: { endpointId, reason },
      annotations: steering,
    },
    async ({ endpointId: id, reason: why }) =>
      fromApi(
        api.POST('/v1/endpoints/{endpointId}/run', {
          params: { path: { endpointId: id } },
          body: { source: 'agent', ...(why === undefined ? {} : { reason: why }) },
        }),
        (hint) => toolResult(hintText(hint), hint),
      ),
  );

  const pauseText = (what: string, paused: { until: string | null } | null) =>
    paused
      ? `${what} paused ${paused.until === null ? 'until resumed' : `until ${paused.until}`}`
      : `${what} is not paused`;

  server.registerTool(
    'pause_endpoint',
    {
      title: 'Pause an endpoint',
      description:
        'Holds an endpoint: no run until `until` (or until resumed). Acts with the key, as ' +
        'POST /v1/endpoints/{id}/pause does.',
      inputSchema: { endpointId, until, reason },
      annotations: steering,
    },
    async ({ endpointId: id, until: end, reason: why }) =>
      fromApi(
        api.POST('/v1/endpoints/{endpointId}/pause', {
          params: { path: { endpointId: id } },
          body: { until: end ?? null, ...(why === undefined ? {} : { reason: why }) },
        }),
        (endpoint) => toolResult(pauseText(`endpoint ${endpoint.id}`, endpoint.paused), endpoint),
      ),
  );

  server.registerTool(
    'resume_endpoint',
    {
      title: 'Resume an endpoint',
      description:
        "Ends an endpoint's own pause (a job's pause holds it still). Acts with the key, as " +
        'POST /v1/endpoints/{id}/resume does.',
      inputSchema: { endpointId, reason },
      annotations: steering,
    },
    async ({ endpointId: id, reason: why }) =>
      fromApi(
        api.POST('/v1/endpoints/{endpointId}/resume', {
          params: { path: { endpointId: id } },
          body: why === undefined ? null : { reason: why },
        }),
        (endpoint) => toolResult(pauseText(`endpoint ${endpoint.id}`, endpoint.paused), endpoint),
      ),
  );

  server.registerTool(
    'pause_job',
    {
      title: 'Pause a job',
      description:
        'Holds every endpoint of a job (registered later too) until `until` or a resume. ' +
        'Acts with the key, as POST /v1/jobs/{id}/pause does.',
      inputSchema: { jobId, until, reason },
      annotations: steering,
    },
    async ({ jobId: id, until: end, reason: why }) =>
      fromApi(
        api.POST('/v1/jobs/{jobId}/pause', {
          params: { path: { jobId: id } },
          body: { until: end ?? null, ...(why === undefined ? {} : { reason: why }) },
        }),
        (job) => toolResult(pauseText(`job ${job.id}`, job.paused), job),
      ),
  );

  server.registerTool(
    'resume_job',
    {
      title: 'Resume a job',
      description: "Ends a job's pause. Acts with the key, as POST /v1/jobs/{id}/resume does.",
      inputSchema: { jobId, reason },
      annotations: steering,
    },
    async ({ jobId: id, reason: why }) =>
      fromApi(
        api.POST('/v1/jobs/{jobId}/resume', {
          params: { path: { jobId: id } },
          body: why === undefined ? null : { reason: why },
        }),
        (job) => toolResult(pauseText(`job ${job.id}`, job.paused), job),
      ),
  );
}
