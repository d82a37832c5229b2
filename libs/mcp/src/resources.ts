import { readFile } from 'node:fs/promises';
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import type { OrreryClient, Schema } from '@orrery/api-client';

type Graph = Schema<'Graph'>;

/** The contract of the coordination signals, as docs/coordination-signals.md states it. */
export const SIGNALS_DOC = new URL('../../../docs/coordination-signals.md', import.meta.url);

/** Every active job of the tenant, following the pages. */
async function activeJobs(api: OrreryClient): Promise<Schema<'Job'>[]> {
  const jobs: Schema<'Job'>[] = [];
  let cursor: string | undefined;
  do {
    const { data, error } = await api.GET('/v1/jobs', {
      params: { query: { status: 'active', limit: 200, ...(cursor ? { cursor } : {}) } },
    });
    if (!data) throw new Error(`listing jobs failed: ${JSON.stringify(error)}`);
    jobs.push(...data.items);
    cursor = data.nextCursor ?? undefined;
  } while (cursor);
  return jobs;
}

async function jobGraph(api: OrreryClient, jobId: string): Promise<Graph> {
  const { data, error } = await api.GET('/v1/graph', { params: { query: { job: jobId } } });
  if (!data) {
    const detail = typeof error === 'object' && error && 'detail' in error ? error.detail : '';
    throw new Error(`the graph of job ${jobId}: ${String(detail) || 'not available'}`);
  }
  return data;
}

const json = (uri: URL, value: unknown): ReadResourceResult => ({
  contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }],
});

/**
 * Resources: the tenant's dependency graph (whole, and per job) with each edge's live state, and
 * the coordination-signals contract.
 */
export function registerResources(server: McpServer, api: OrreryClient): void {
  server.registerResource(
    'graph',
    'orrery://graph',
    {
      title: "The tenant's dependency graph",
      description:
        "Every active job's endpoints and the edges between them (across jobs), each edge with " +
        'its live state: gate open or closed, breaker, the last satisfying response.',
      mimeType: 'application/json',
    },
    async (uri) => {
      const nodes = new Map<string, Graph['nodes'][number]>();
      const edges = new Map<string, Graph['edges'][number]>();
      for (const job of await activeJobs(api)) {
        const graph = await jobGraph(api, job.id);
        for (const node of graph.nodes) {
          // A job's own endpoints win over the same endpoint seen from another job's edge.
          if (!nodes.has(node.endpointId) || node.inJob) nodes.set(node.endpointId, node);
        }
        for (const edge of graph.edges) edges.set(edge.edgeId, edge);
      }
      return json(uri, {
        nodes: [...nodes.values()].map(({ inJob: _inJob, ...node }) => node),
        edges: [...edges.values()],
      });
    },
  );

  server.registerResource(
    'job-graph',
    new ResourceTemplate('orrery://graph/{jobId}', {
      list: async () => ({
        resources: (await activeJobs(api)).map((job) => ({
          uri: `orrery://graph/${encodeURIComponent(job.id)}`,
          name: `graph of ${job.id}`,
          mimeType: 'application/json',
        })),
      }),
    }),
    {
      title: "A job's dependency graph",
      description:
        "The job's endpoints, every endpoint of another job on one of their edges, and those " +
        'edges with their live state (as GET /v1/graph?job= answers).',
      mimeType: 'application/json',
    },
    async (uri, { jobId }) => {
      const id = Array.isArray(jobId) ? jobId[0] : jobId;
      if (!id) throw new Error('jobId: name a job');
      return json(uri, await jobGraph(api, decodeURIComponent(id)));
    },
  );

  server.registerResource(
    'coordination-signals',
    'orrery://docs/coordination-signals',
    {
      title: 'Coordination signals',
      description:
        'The contract: the fields an endpoint may put in its JSON response to ask to be called ' +
        'differently (recommended_interval_ms, cooldown_until, pause_until, …), what each proposes ' +
        'and what is ignored.',
      mimeType: 'text/markdown',
    },
    async (uri) => ({
      contents: [
        { uri: uri.href, mimeType: 'text/markdown', text: await readFile(SIGNALS_DOC, 'utf8') },
      ],
    }),
  );
}
