import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { OrreryClient } from '@orrery/api-client';
import { ARBITER_RULES, eventTypes } from '@orrery/domain';
import { z } from 'zod';
import { fromApi, toolResult } from '../results.js';

const endpointId = z.string().min(1).describe('The endpoint id (as list_endpoints shows it)');
const jobId = z.string().min(1).describe('The job id (as list_jobs shows it)');
const limit = (max: number, fallback: number) =>
  z.number().int().min(1).max(max).optional().describe(`At most this many (default ${fallback})`);
const instant = z.string().describe('An ISO-8601 instant, e.g. 2026-11-30T12:00:00Z');
const readOnly = { readOnlyHint: true, openWorldHint: false } as const;

/** Reading the control plane: jobs, endpoints, explain, history, events, conflicts. */
export function registerReadTools(server: McpServer, api: OrreryClient): void {
  server.registerTool(
    'list_jobs',
    {
      title: 'List jobs',
      description: "The tenant's jobs: id, name, status, pause and planner settings.",
      inputSchema: {
        status: z.enum(['active', 'archived']).optional().describe('Only jobs in this status'),
        limit: limit(200, 50),
        cursor: z.string().optional().describe("The previous page's nextCursor"),
      },
      annotations: readOnly,
    },
    async (args) =>
      fromApi(api.GET('/v1/jobs', { params: { query: args } }), (page) =>
        toolResult(
          page.items.length === 0
            ? 'no jobs'
            : page.items
                .map(
                  (job) =>
                    `${job.id} (${job.name}): ${job.status}${job.paused ? ', paused' : ''}` +
                    `, planner ${job.planner.enabled ? 'on' : 'off'}`,
                )
                .join('\n'),
          page,
        ),
      ),
  );

  server.registerTool(
    'list_endpoints',
    {
      title: 'List endpoints of a job',
      description:
        "A job's endpoints with their target, baseline, pause, live hints and next run (and why).",
      inputSchema: {
        jobId,
        status: z.enum(['active', 'archived']).optional().describe('Only endpoints in this status'),
        limit: limit(200, 50),
        cursor: z.string().optional().describe("The previous page's nextCursor"),
      },
      annotations: readOnly,
    },
    async ({ jobId: job, ...query }) =>
      fromApi(
        api.GET('/v1/jobs/{jobId}/endpoints', { params: { path: { jobId: job }, query } }),
        (page) =>
          toolResult(
            page.items.length === 0
              ? `no endpoints in job ${job}`
              : page.items
                  .map(
                    (e) =>
                      `${e.id}: ${e.config.request.method} ${e.config.request.url}; ` +
                      `next ${e.schedule.nextRunAt ?? 'never'} (${e.schedule.reason})` +
                      (e.paused ? '; paused' : '') +
                      (e.hints.interval
                        ? `; interval hint ${e.hints.interval.intervalMs} ms`
                        : '') +
                      (e.hints.oneShot ? `; one-shot at ${e.hints.oneShot.runAt}` : ''),
                  )
                  .join('\n'),
            page,
          ),
      ),
  );

  server.registerTool(
    'explain_endpoint',
    {
      title: 'Explain the next run',
      description:
        "The governor's decision for an endpoint's next run — now, or as the log stood at a " +
        'position or instant — with every input (pause, holds, baseline, backoff, hints, clamp, ' +
        'jitter, edges, gates, breakers) and the recent hint decisions. `asOf.position` is the ' +
        'view to pass as basedOnPosition when proposing a hint.',
      inputSchema: {
        endpointId,
        at: z
          .string()
          .optional()
          .describe('Replay up to this log position (digits) or ISO-8601 instant'),
      },
      annotations: readOnly,
    },
    async ({ endpointId: id, at }) =>
      fromApi(
        api.GET('/v1/endpoints/{endpointId}/explain', {
          params: { path: { endpointId: id }, query: at === undefined ? {} : { at } },
        }),
        (x) =>
          toolResult(
            `${x.endpointId} (job ${x.jobId}) runs next ${x.next.at ?? 'never'} ` +
              `(${x.next.reason}), as of position ${x.asOf.position} at ${x.asOf.time}`,
            x,
          ),
      ),
  );

  server.registerTool(
    'history',
    {
      title: 'History of an endpoint or a job',
      description:
        'A timeline, oldest first, one entry per event in words: runs (reason, lateness, ' +
        'outcome), hints accepted or refused (rule, winner), pauses, reconfigurations, cascades ' +
        'and planner sessions. Give endpointId or jobId.',
      inputSchema: {
        endpointId: endpointId.optional(),
        jobId: jobId.optional(),
        since: instant.optional().describe('Entries recorded at or after this instant'),
        until: instant.optional().describe('Entries recorded before this instant'),
        limit: limit(1000, 100),
      },
      annotations: readOnly,
    },
    async ({ endpointId: endpoint, jobId: job, ...query }) => {
      if ((endpoint === undefined) === (job === undefined)) {
        throw new Error('endpointId, jobId: give exactly one of them');
      }
      const call =
        endpoint !== undefined
          ? api.GET('/v1/endpoints/{endpointId}/history', {
              params: { path: { endpointId: endpoint }, query },
            })
          : api.GET('/v1/jobs/{jobId}/history', {
              params: { path: { jobId: job ?? '' }, query },
            });
      return fromApi(call, (history) =>
        toolResult(
          [
            `history of ${history.target.kind} ${history.target.id}: ${history.entries.length} ` +
              `entries${history.more ? ' (earlier ones left out: see since, limit)' : ''}`,
            ...history.entries.map(
              (e) =>
                `${e.recordedAt} #${e.position} ${e.actor.kind}:${e.actor.id} ${e.subject}: ${e.summary}`,
            ),
          ].join('\n'),
          history,
        ),
      );
    },
  );

  server.registerTool(
    'list_events',
    {
      title: 'Events of the log',
      description:
        "A page of the tenant's event log, oldest first, filtered as GET /v1/events: by " +
        'endpoint, job, type, actor kind, time and position. Follow nextCursor as `after`.',
      inputSchema: {
        endpointId: endpointId.optional(),
        jobId: jobId.optional().describe("The job's stream and its endpoints' streams"),
        type: z
          .array(z.enum(eventTypes))
          .optional()
          .describe('Only these event types, e.g. ["HintProposed", "HintRejected"]'),
        actorKind: z.enum(['user', 'planner', 'cascade', 'system']).optional(),
        from: instant.optional().describe('Recorded at or after this instant'),
        to: instant.optional().describe('Recorded before this instant'),
        after: z
          .string()
          .optional()
          .describe("A log position cursor: the previous page's nextCursor"),
        limit: limit(1000, 100),
      },
      annotations: readOnly,
    },
    async (query) =>
      fromApi(api.GET('/v1/events', { params: { query } }), (page) =>
        toolResult(
          [
            `${page.items.length} events${page.nextCursor ? `; more after ${page.nextCursor}` : ''}`,
            ...page.items.map(
              (e) =>
                `#${e.position} ${e.recordedAt} ${e.streamId} ${e.type} by ` +
                `${e.metadata.actor.kind}:${e.metadata.actor.id}`,
            ),
          ].join('\n'),
          page,
        ),
      ),
  );

  server.registerTool(
    'list_conflicts',
    {
      title: 'Refused proposals',
      description:
        'Proposals the arbiter refused, newest first: the rule, what was asked, the state it met ' +
        'and the decision that won. Filter by job, endpoint, rule, source.',
      inputSchema: {
        jobId: jobId.optional(),
        endpointId: endpointId.optional(),
        rule: z.enum(ARBITER_RULES).optional().describe("The arbiter's rule"),
        source: z.enum(['user', 'cascade', 'agent', 'planner']).optional(),
        limit: limit(200, 50),
      },
      annotations: readOnly,
    },
    async ({ jobId: job, endpointId: endpoint, ...rest }) =>
      fromApi(
        api.GET('/v1/conflicts', {
          params: {
            query: {
              ...rest,
              ...(job === undefined ? {} : { job }),
              ...(endpoint === undefined ? {} : { endpoint }),
            },
          },
        }),
        (page) =>
          toolResult(
            page.items.length === 0
              ? 'no refused proposals'
              : page.items
                  .map(
                    (c) =>
                      `${c.recordedAt} ${c.target.endpointId}: ${c.source} ${c.kind ?? ''} refused ` +
                      `(${c.rule}): ${c.detail}`,
                  )
                  .join('\n'),
            page,
          ),
      ),
  );
}
