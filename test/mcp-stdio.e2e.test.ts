import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { buildApp, createApiDeps, createApiKey, createTenant } from '@orrery/api';
import { createOrreryClient } from '@orrery/api-client';
import { migrateDatabase } from '@orrery/event-store';
import { schedulingMigrations } from '@orrery/scheduling';
import { SecretBox } from '@orrery/secrets';
import { useTestDatabase } from '@orrery/testkit';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `orrery mcp` as an MCP client spawns it (stdio), against a real API on loopback.
const db = useTestDatabase();
const tsx = createRequire(import.meta.url).resolve('tsx/cli');
const script = fileURLToPath(new URL('../scripts/orrery.ts', import.meta.url));

let app: FastifyInstance | undefined;
let closeDeps: (() => Promise<void>) | undefined;
let baseUrl = '';
const keys = { t1: '', t2: '' };
const clients: Client[] = [];

/** Spawns `orrery mcp --url … --key …` and connects the SDK's client to it. */
async function spawnMcp(key: string): Promise<Client> {
  const client = new Client({ name: 'orrery-stdio-test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [tsx, script, 'mcp', '--url', baseUrl, '--key', key],
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' },
      stderr: 'pipe',
    }),
  );
  clients.push(client);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown>) {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
  return { isError: result.isError === true, text, data: result.structuredContent ?? {} };
}

beforeAll(async () => {
  const url = db().url;
  await migrateDatabase(url, undefined, schedulingMigrations);
  const built = createApiDeps({
    connectionString: url,
    secrets: SecretBox.fromBase64(SecretBox.generateKey()),
  });
  closeDeps = built.close;
  app = await buildApp(built.deps);
  await app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  for (const tenant of ['t1', 't2'] as const) {
    await createTenant(built.deps.store, tenant, tenant);
    keys[tenant] = (await createApiKey(built.deps.store, tenant, 'mcp')).key;
  }
  const t1 = createOrreryClient({ baseUrl, apiKey: keys.t1 });
  const job = await t1.POST('/v1/jobs', { body: { id: 'shop', name: 'Shop' } });
  expect(job.error).toBeUndefined();
  const endpoint = await t1.POST('/v1/jobs/{jobId}/endpoints', {
    params: { path: { jobId: 'shop' } },
    body: {
      id: 'orders',
      name: 'Poll the orders',
      request: { method: 'GET', url: 'http://127.0.0.1:9/orders' },
      baseline: { kind: 'interval', everyMs: 3_600_000 },
    },
  });
  expect(endpoint.error).toBeUndefined();
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await app?.close();
  await closeDeps?.();
});

describe('orrery mcp (stdio)', () => {
  it('serves the tools over stdio; an agent hint is accepted, then refused by a pause', async () => {
    const t1 = await spawnMcp(keys.t1);
    const { tools } = await t1.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(
      expect.arrayContaining(['explain_endpoint', 'propose_hint', 'apply_pipeline', 'run_now']),
    );
    const explained = await call(t1, 'explain_endpoint', { endpointId: 'orders' });
    expect(explained).toMatchObject({ isError: false, data: { endpointId: 'orders' } });

    const hint = await call(t1, 'propose_hint', {
      endpointId: 'orders',
      kind: 'interval',
      intervalMs: 600_000,
      ttlMs: 600_000,
    });
    expect(hint).toMatchObject({ isError: false, data: { source: 'agent', intervalMs: 600_000 } });

    const rest = createOrreryClient({ baseUrl, apiKey: keys.t1 });
    const paused = await rest.POST('/v1/endpoints/{endpointId}/pause', {
      params: { path: { endpointId: 'orders' } },
      body: { until: null },
    });
    expect(paused.error).toBeUndefined();
    const refused = await call(t1, 'run_now', { endpointId: 'orders' });
    expect(refused).toMatchObject({
      isError: true,
      data: {
        status: 409,
        refusal: { rule: 'pause_wins', winner: { kind: 'pause', until: null } },
      },
    });
    expect(refused.text).toContain('rule pause_wins');
  });

  it("serves another tenant's key only that tenant", async () => {
    const t2 = await spawnMcp(keys.t2);
    for (const [tool, args] of [
      ['explain_endpoint', { endpointId: 'orders' }],
      ['resume_endpoint', { endpointId: 'orders' }],
      ['list_endpoints', { jobId: 'shop' }],
    ] as const) {
      expect(await call(t2, tool, args), tool).toMatchObject({
        isError: true,
        data: { status: 404 },
      });
    }
    const rest = createOrreryClient({ baseUrl, apiKey: keys.t1 });
    const orders = await rest.GET('/v1/endpoints/{endpointId}', {
      params: { path: { endpointId: 'orders' } },
    });
    expect(orders.data?.paused).toMatchObject({ until: null });
  });

  it('says what is wrong with its command line', async () => {
    const bad = new StdioClientTransport({
      command: process.execPath,
      args: [tsx, script, 'mcp', '--url', baseUrl],
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '',
        ORRERY_DATA_DIR: '/nonexistent',
      },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'bad', version: '1.0.0' });
    let stderr = '';
    const closed = new Promise<void>((done) => (bad.onclose = done));
    const connecting = client.connect(bad).catch(() => undefined);
    bad.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await connecting;
    await closed;
    expect(stderr).toContain('--key: give an API key');
  });
});
