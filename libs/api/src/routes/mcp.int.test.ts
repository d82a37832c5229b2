import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, useApiHarness } from '../test-support/api-harness.js';

// The MCP server at /mcp on the real app, listening on loopback, driven by the SDK's own client.
const api = useApiHarness();
let baseUrl = '';
const clients: Client[] = [];

async function connect(key: string): Promise<Client> {
  const client = new Client({ name: 'orrery-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    }),
  );
  clients.push(client);
  return client;
}

beforeAll(async () => {
  await api().app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(api().app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
});

/** Two jobs and an edge across them: `pack` (fulfilment) runs on `orders` (shop). */
const PIPELINE = `
jobs:
  - id: shop
    endpoints:
      - id: orders
        name: Poll the orders
        request: { method: GET, url: 'http://127.0.0.1:9/orders' }
        baseline: { kind: interval, everyMs: 3600000 }
        minIntervalMs: 60000
  - id: fulfilment
    endpoints:
      - id: pack
        name: Pack the new orders
        request: { method: POST, url: 'http://127.0.0.1:9/pack' }
        baseline: { kind: none }
        dependsOn:
          - upstream: orders
            condition: ok
`;

/** The text of a resource's first content. */
const textOf = (result: { contents: ({ text: string } | { blob: string })[] }): string => {
  const [first] = result.contents;
  return first && 'text' in first ? first.text : '';
};

type Structured = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- checked with matchers

async function call(client: Client, name: string, args: Record<string, unknown>) {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
  return {
    isError: result.isError === true,
    text,
    data: (result.structuredContent ?? {}) as Structured,
  };
}

describe('the MCP server over streamable HTTP', () => {
  it('lists the tools that mirror the control plane, and its resources', async () => {
    const t1 = await connect(api().keys.t1);
    const { tools } = await t1.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'apply_pipeline',
      'explain_endpoint',
      'history',
      'list_conflicts',
      'list_endpoints',
      'list_events',
      'list_jobs',
      'pause_endpoint',
      'pause_job',
      'propose_hint',
      'resume_endpoint',
      'resume_job',
      'run_now',
    ]);
    const propose = tools.find((tool) => tool.name === 'propose_hint');
    expect(propose?.inputSchema.properties?.['intervalMs']).toMatchObject({
      type: 'integer',
      description: expect.stringContaining('interval'),
    });
    const { resources } = await t1.listResources();
    expect(resources.map((r) => r.uri)).toEqual(
      expect.arrayContaining(['orrery://graph', 'orrery://docs/coordination-signals']),
    );
  });

  it('applies a pipeline only after a dry run, and only what the dry run showed', async () => {
    const t1 = await connect(api().keys.t1);
    const dry = await call(t1, 'apply_pipeline', { name: 'shop', document: PIPELINE });
    expect(dry.isError, dry.text).toBe(false);
    expect(dry.data).toMatchObject({ dryRun: true, changed: true, applied: false });
    expect(dry.data['diff'].endpoints.create.sort()).toEqual(['orders', 'pack']);
    const token = String(dry.data['planToken']);

    const blind = await call(t1, 'apply_pipeline', {
      name: 'shop',
      document: PIPELINE,
      dryRun: false,
    });
    expect(blind).toMatchObject({ isError: true, text: expect.stringMatching(/^planToken: /) });
    const other = PIPELINE.replace('everyMs: 3600000', 'everyMs: 7200000');
    const swapped = await call(t1, 'apply_pipeline', {
      name: 'shop',
      document: other,
      dryRun: false,
      planToken: token,
    });
    expect(swapped).toMatchObject({ isError: true, data: { fields: [{ field: 'planToken' }] } });
    expect((await api().request('GET', '/v1/jobs/shop')).status).toBe(404);

    const applied = await call(t1, 'apply_pipeline', {
      name: 'shop',
      document: PIPELINE,
      dryRun: false,
      planToken: token,
    });
    expect(applied.isError, applied.text).toBe(false);
    expect(applied.data).toMatchObject({ dryRun: false, applied: true });
    const again = await call(t1, 'apply_pipeline', { name: 'shop', document: PIPELINE });
    expect(again.data).toMatchObject({ changed: false });

    const broken = await call(t1, 'apply_pipeline', {
      name: 'shop',
      document: PIPELINE.replace('everyMs: 3600000', 'everyMs: -1'),
    });
    expect(broken.isError).toBe(true);
    expect(broken.data['fields']).toContainEqual(
      expect.objectContaining({ field: 'document.jobs.0.endpoints.0.baseline.everyMs' }),
    );
    await api().catchUp();
  });

  it('reads jobs, endpoints, explain, history, events, the graph and the signals contract', async () => {
    const t1 = await connect(api().keys.t1);
    const jobs = await call(t1, 'list_jobs', {});
    expect(jobs.data['items'].map((job: { id: string }) => job.id).sort()).toEqual([
      'fulfilment',
      'shop',
    ]);
    const endpoints = await call(t1, 'list_endpoints', { jobId: 'shop' });
    expect(endpoints.text).toContain('orders: GET http://127.0.0.1:9/orders');
    const explained = await call(t1, 'explain_endpoint', { endpointId: 'orders' });
    expect(explained.data).toMatchObject({ endpointId: 'orders', jobId: 'shop' });
    expect(explained.text).toMatch(/^orders \(job shop\) runs next /);
    const history = await call(t1, 'history', { jobId: 'fulfilment' });
    expect(history.data['entries'].map((e: { type: string }) => e.type)).toContain(
      'EndpointRegistered',
    );
    const events = await call(t1, 'list_events', { type: ['DependencyDeclared'] });
    expect(events.data['items'].length).toBeGreaterThan(0);
    for (const event of events.data['items']) expect(event.type).toBe('DependencyDeclared');

    const graph = JSON.parse(textOf(await t1.readResource({ uri: 'orrery://graph' })));
    expect(graph.edges).toEqual([
      expect.objectContaining({ upstreamEndpointId: 'orders', downstreamEndpointId: 'pack' }),
    ]);
    expect(graph.nodes.map((n: { endpointId: string }) => n.endpointId).sort()).toEqual([
      'orders',
      'pack',
    ]);
    const jobGraph = await t1.readResource({ uri: 'orrery://graph/fulfilment' });
    expect(JSON.parse(textOf(jobGraph)).edges).toHaveLength(1);
    const signals = await t1.readResource({ uri: 'orrery://docs/coordination-signals' });
    expect(signals.contents[0]).toMatchObject({
      mimeType: 'text/markdown',
      text: expect.stringContaining('`recommended_interval_ms`'),
    });
  });

  it('proposes hints as an agent: clamped to the bounds, recorded with source agent', async () => {
    const t1 = await connect(api().keys.t1);
    const hint = await call(t1, 'propose_hint', {
      endpointId: 'orders',
      kind: 'interval',
      intervalMs: 1_000,
      ttlMs: 600_000,
      reason: 'a sale starts',
    });
    expect(hint.isError, hint.text).toBe(false);
    expect(hint.data).toMatchObject({
      source: 'agent',
      intervalMs: 60_000,
      clamped: { requested: 1_000, applied: 60_000, bound: 'min' },
    });
    const run = await call(t1, 'run_now', { endpointId: 'pack' });
    expect(run.data).toMatchObject({ kind: 'oneShot', source: 'agent' });
    const recorded = await api().request('GET', '/v1/events?endpointId=orders&type=HintProposed');
    expect(recorded.body.items.at(-1).data).toMatchObject({
      source: 'agent',
      reason: 'a sale starts',
    });
  });

  it('answers a refused proposal as a tool error with the rule and the decision that won', async () => {
    const t1 = await connect(api().keys.t1);
    // A person paused orders: the pause holds agents off.
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const paused = await api().request('POST', '/v1/endpoints/orders/pause', { body: { until } });
    expect(paused.status).toBe(200);
    const refused = await call(t1, 'propose_hint', {
      endpointId: 'orders',
      kind: 'oneShot',
      reason: 'check now',
    });
    expect(refused.isError).toBe(true);
    expect(refused.text).toContain('rule pause_wins');
    expect(refused.data).toMatchObject({
      status: 409,
      refusal: { rule: 'pause_wins', winner: { kind: 'pause', until } },
    });
    const run = await call(t1, 'run_now', { endpointId: 'orders' });
    expect(run.data).toMatchObject({ refusal: { rule: 'pause_wins' } });

    // A person's live hint outranks the agent's.
    const user = await api().request('POST', '/v1/endpoints/pack/hints', {
      body: { kind: 'interval', intervalMs: 120_000, ttlMs: 600_000 },
    });
    expect(user.status).toBe(201);
    const outranked = await call(t1, 'propose_hint', {
      endpointId: 'pack',
      kind: 'interval',
      intervalMs: 300_000,
      ttlMs: 600_000,
    });
    expect(outranked.data).toMatchObject({
      refusal: {
        rule: 'precedence',
        detail: `a live user hint (${user.body.hintId}) outranks an agent proposal`,
        winner: { kind: 'hint', source: 'user', hintId: user.body.hintId },
      },
    });
    await api().catchUp();
    const conflicts = await call(t1, 'list_conflicts', { source: 'agent' });
    expect(conflicts.data['items'].map((c: { rule: string }) => c.rule).sort()).toEqual([
      'pause_wins',
      'pause_wins',
      'precedence',
    ]);
  });

  it('names the argument at fault', async () => {
    const t1 = await connect(api().keys.t1);
    const missing = await call(t1, 'propose_hint', {
      endpointId: 'pack',
      kind: 'interval',
      intervalMs: 60_000,
    });
    expect(missing).toMatchObject({ isError: true, text: 'ttlMs: required for an interval hint' });
    const tooLong = await call(t1, 'propose_hint', {
      endpointId: 'pack',
      kind: 'interval',
      intervalMs: 400 * 86_400_000,
      ttlMs: 600_000,
    });
    expect(tooLong).toMatchObject({ isError: true, data: { status: 400 } });
    expect(tooLong.data['fields']).toEqual([expect.objectContaining({ field: 'intervalMs' })]);
    const at = await call(t1, 'explain_endpoint', { endpointId: 'orders', at: 'yesterday' });
    expect(at.data['fields']).toEqual([expect.objectContaining({ field: 'at' })]);
    const schema = await call(t1, 'propose_hint', { endpointId: 'pack', kind: 'weekly' });
    expect(schema.isError).toBe(true);
    expect(schema.text).toContain('kind');
  });

  it("keeps a tenant's key to its own tenant", async () => {
    const t2 = await connect(api().keys.t2);
    const jobs = await call(t2, 'list_jobs', {});
    expect(jobs.data['items']).toEqual([]);
    for (const [tool, args] of [
      ['explain_endpoint', { endpointId: 'orders' }],
      ['history', { endpointId: 'orders' }],
      ['list_endpoints', { jobId: 'shop' }],
      ['pause_endpoint', { endpointId: 'pack' }],
      ['propose_hint', { endpointId: 'pack', kind: 'oneShot' }],
      ['run_now', { endpointId: 'pack' }],
      ['pause_job', { jobId: 'fulfilment' }],
    ] as const) {
      const answer = await call(t2, tool, args);
      expect(answer, `${tool} as t2`).toMatchObject({ isError: true, data: { status: 404 } });
    }
    const graph = JSON.parse(textOf(await t2.readResource({ uri: 'orrery://graph' })));
    expect(graph).toEqual({ nodes: [], edges: [] });
    await expect(t2.readResource({ uri: 'orrery://graph/shop' })).rejects.toThrow(/not found/);
    // Nothing of t1's changed.
    const pack = await api().request('GET', '/v1/endpoints/pack');
    expect(pack.body).toMatchObject({ paused: null, hints: { oneShot: { source: 'agent' } } });
  });

  it('refuses /mcp without a tenant key, as /v1 does', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    for (const authorization of [undefined, `Bearer ${ADMIN_KEY}`, 'Bearer ork_t1.nope.nope']) {
      const response = await fetch(`${baseUrl}/mcp`, {
        method: 'POST',
        body,
        headers: { ...headers, ...(authorization ? { authorization } : {}) },
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ type: '/problems/unauthorized' });
    }
    // Stateless: no server-initiated stream to open.
    const stream = await fetch(`${baseUrl}/mcp`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${api().keys.t1}` },
    });
    expect(stream.status).toBe(405);
    expect(stream.headers.get('allow')).toBe('POST');
  });
});
