import {
  endpointStream,
  jobStream,
  makeEvent,
  type DomainEvent,
  type EventMetadata,
} from '@orrery/domain';
import { waitFor } from '@orrery/testkit';
import { sql } from 'kysely';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createApiKey, createTenant } from '../tenants.js';
import { useApiHarness } from '../test-support/api-harness.js';

const PAGE_BYTES = 256 * 1024;
const api = useApiHarness({ eventPageBytes: PAGE_BYTES });
const SEALED = 'enc:v1:abc.def.ghi';
const user: EventMetadata = { tenantId: 't1', actor: { kind: 'user', id: 'u' } };
const planner: EventMetadata = { tenantId: 't1', actor: { kind: 'planner', id: 'p' } };

const append = async (streamId: string, event: DomainEvent, recordedAt?: string) =>
  (await api().deps.store.append(streamId, [event], { expectedVersion: 'any', recordedAt }))
    .positions[0] ?? 0;

const registered = (endpointId: string, jobId: string, tenantId = 't1') =>
  makeEvent(
    'EndpointRegistered',
    {
      endpointId,
      jobId,
      tenantId,
      registeredAt: new Date().toISOString(),
      config: {
        name: endpointId,
        request: {
          url: 'http://127.0.0.1:9/x',
          headers: { authorization: { value: SEALED, secret: true } },
        },
        baseline: { kind: 'interval', everyMs: 60_000 },
      },
    },
    { ...user, tenantId },
  );
const paused = (reason: string, metadata = user) =>
  makeEvent('Paused', { until: null, reason }, metadata);

const list = async (query: string, key?: string) => {
  const response = await api().request('GET', `/v1/events?${query}`, { key });
  expect(response.status).toBe(200);
  return response.body as {
    items: { position: number; streamId: string; type: string; data: Record<string, unknown> }[];
    nextCursor: string | null;
  };
};

describe('GET /v1/events', () => {
  it('filters by stream, endpoint, job, type, actor kind and recorded time', async () => {
    await append(
      jobStream('t1', 'fa'),
      makeEvent('JobCreated', { jobId: 'fa', tenantId: 't1', name: 'a' }, user),
    );
    await append(endpointStream('t1', 'fa1'), registered('fa1', 'fa'));
    await append(endpointStream('t1', 'fa2'), registered('fa2', 'fa'));
    await append(endpointStream('t1', 'fb1'), registered('fb1', 'fb'));
    await append(endpointStream('t1', 'fa1'), paused('by planner', planner));
    await append(endpointStream('t1', 'fa1'), paused('later'));

    const byStream = await list('streamId=endpoint-t1.fa1');
    expect(byStream.items.map((e) => e.type)).toEqual(['EndpointRegistered', 'Paused', 'Paused']);
    expect((await list('endpointId=fa1')).items).toEqual(byStream.items);

    const byJob = await list('jobId=fa');
    expect(byJob.items.map((e) => e.streamId)).toEqual([
      'job-t1.fa',
      'endpoint-t1.fa1',
      'endpoint-t1.fa2',
      'endpoint-t1.fa1',
      'endpoint-t1.fa1',
    ]);

    const types = await list('jobId=fa&type=JobCreated,Paused');
    expect(types.items.map((e) => e.type)).toEqual(['JobCreated', 'Paused', 'Paused']);

    const byActor = await list('endpointId=fa1&actorKind=planner');
    expect(byActor.items.map((e) => e.data.reason)).toEqual(['by planner']);
  });

  it('reads a window of recorded time exactly: from inclusive, to exclusive', async () => {
    const head = await api().deps.store.headPosition();
    const [last] = await api().deps.store.readAll({ after: head - 1, limit: 1 });
    // Instants just ahead of the log (its time never goes back), a second apart.
    const t0 = Math.max(Date.now(), Date.parse(last?.recordedAt ?? '')) + 1_000;
    const at = (ms: number) => new Date(ms).toISOString();
    const stream = endpointStream('t1', 'win');
    const [a, b, c] = [
      await append(stream, paused('a'), at(t0)),
      await append(stream, paused('b'), at(t0 + 1_000)),
      await append(stream, paused('c'), at(t0 + 2_000)),
    ];
    const positions = async (query: string) => (await list(query)).items.map((e) => e.position);
    expect(await positions(`from=${at(t0 + 1_000)}&to=${at(t0 + 2_000)}`)).toEqual([b]);
    expect(await positions(`from=${at(t0 + 1)}&to=${at(t0 + 2_001)}`)).toEqual([b, c]);
    expect(await positions(`from=${at(t0)}`)).toEqual([a, b, c]);
    expect(await positions(`from=${at(t0 + 2_001)}`)).toEqual([]);
    const before = await positions(`to=${at(t0 + 1_000)}&limit=1000`);
    expect(before).toContain(a);
    expect(before).not.toContain(b);
    expect(before.length).toBeGreaterThan(1); // the test's earlier events, recorded before t0
  });

  it('pages forward with the position cursor', async () => {
    for (const reason of ['1', '2', '3', '4'])
      await append(endpointStream('t1', 'pg'), paused(reason));
    const reasons = (page: Awaited<ReturnType<typeof list>>) =>
      page.items.map((e) => e.data.reason);
    const first = await list('endpointId=pg&limit=2');
    expect(reasons(first)).toEqual(['1', '2']);
    expect(first.nextCursor).toBe(String(first.items[1]?.position));
    const second = await list(`endpointId=pg&limit=2&after=${first.nextCursor}`);
    expect(reasons(second)).toEqual(['3', '4']);
    expect(second.nextCursor).toBeNull();
  });

  it("never shows another tenant's events, nor a secret value", async () => {
    await append(endpointStream('t1', 'iso'), registered('iso', 'iso'));
    const reconfigured = registered('iso', 'iso').data.config;
    await append(
      endpointStream('t1', 'iso'),
      makeEvent('EndpointReconfigured', { config: reconfigured }, user),
    );
    await append(endpointStream('t2', 't2e'), registered('t2e', 'j2', 't2'));

    expect((await list('streamId=endpoint-t1.iso', api().keys.t2)).items).toEqual([]);
    const t2 = await list('limit=1000', api().keys.t2);
    expect(t2.items.map((e) => e.streamId)).toEqual(['tenant-t2', 'tenant-t2', 'endpoint-t2.t2e']);

    const t1 = await list('limit=1000');
    const text = JSON.stringify(t1);
    expect(t1.items.some((e) => e.streamId === 'endpoint-t2.t2e')).toBe(false);
    expect(text).not.toContain('enc:v1');
    expect(text).not.toContain('abc.def.ghi');
    const own = await list('endpointId=iso');
    expect(own.items).toHaveLength(2);
    for (const event of own.items) {
      expect(event.data).toMatchObject({
        config: { request: { headers: { authorization: { value: '***', secret: true } } } },
      });
    }
    const keys = t1.items.filter((e) => e.type === 'ApiKeyCreated');
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.data.secretHash).toBe('***');
  });

  it('refuses bad filters with problem JSON naming the field, a missing key with 401, and is documented', async () => {
    for (const [query, field, detail] of [
      ['type=Paused,Nope', 'querystring.type', /Nope/],
      ['from=yesterday', 'querystring.from', /./],
      ['limit=0', 'querystring.limit', /./],
      ['limit=1001', 'querystring.limit', /./],
      ['after=-1', 'querystring.after', /./],
      ['from=2020-01-02T00:00:00Z&to=2020-01-01T00:00:00Z', 'querystring.to', /before/],
      ['colour=red', 'querystring', /colour/],
    ] as const) {
      const response = await api().request('GET', `/v1/events?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body.errors[0].field, query).toBe(field);
      expect(JSON.stringify(response.body), query).toMatch(detail);
    }
    const doc = await api().request('GET', '/openapi.json', { key: null });
    const stream = doc.body.paths['/v1/events/stream'].get;
    expect(Object.keys(stream.responses[200].content)).toEqual(['text/event-stream']);
    expect(stream.parameters.map((p: { name: string }) => p.name)).toContain('last-event-id');
    const anonymous = await api().request('GET', '/v1/events', { key: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.type).toBe('/problems/unauthorized');
  });
});

describe('GET /v1/events pages of large events', () => {
  const t3: EventMetadata = { tenantId: 't3', actor: { kind: 'system', id: 'executor' } };
  const recorded = (run: number, bodyBytes: number) =>
    makeEvent(
      'ResponseRecorded',
      {
        runId: `run-${run}`,
        startedAt: '2026-01-01T00:00:00.000Z',
        finishedAt: '2026-01-01T00:00:01.000Z',
        durationMs: 1000,
        status: 200,
        ok: true,
        headers: { 'content-type': 'application/json' },
        body: { run, blob: 'x'.repeat(bodyBytes) },
        bodyTruncated: false,
      },
      t3,
    );

  it('stay within the byte bound, a larger event comes alone, and the cursor yields each event once', async () => {
    const { store } = api().deps;
    await createTenant(store, 't3', 'Tenant three');
    const { key } = await createApiKey(store, 't3', 'pages');
    const appended: number[] = [];
    for (let run = 0; run < 30; run++) {
      const event = run % 3 === 2 ? paused(`small ${run}`, t3) : recorded(run, 40_000);
      appended.push(await append(endpointStream('t3', 'big'), event));
    }
    const giant = await append(endpointStream('t3', 'big'), recorded(99, PAGE_BYTES + 50_000));
    appended.push(giant, await append(endpointStream('t3', 'big'), paused('after the giant', t3)));

    type Page = { items: { position: number }[]; nextCursor: string | null };
    const pages: { bytes: number; positions: number[] }[] = [];
    for (let after = ''; pages.length < 50;) {
      const response = await api().app.inject({
        method: 'GET',
        url: `/v1/events?endpointId=big&limit=1000${after}`,
        headers: { authorization: `Bearer ${key}` },
      });
      expect(response.statusCode).toBe(200);
      const page: Page = response.json();
      pages.push({
        bytes: response.rawPayload.length,
        positions: page.items.map((e) => e.position),
      });
      if (page.nextCursor === null) break;
      after = `&after=${page.nextCursor}`;
    }

    expect(pages.flatMap((page) => page.positions)).toEqual(appended);
    const giantPage = pages.find((page) => page.positions.includes(giant));
    expect(giantPage?.positions).toEqual([giant]);
    expect(giantPage?.bytes).toBeGreaterThan(PAGE_BYTES);
    for (const page of pages.filter((p) => p !== giantPage)) {
      expect(page.bytes).toBeLessThanOrEqual(PAGE_BYTES);
    }
    // 800 KB of bodies before the giant cannot fit in fewer than four pages.
    expect(pages.length).toBeGreaterThanOrEqual(5);

    const doc = await api().request('GET', '/openapi.json', { key: null });
    expect(doc.body.paths['/v1/events'].get.description).toContain('at most 256 KiB of JSON');
  });
});

describe('GET /v1/events/stream', () => {
  const listeners = async () => {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and application_name = 'orrery-event-store-listener'`.execute(
      api().deps.events,
    );
    return rows[0]?.n ?? -1;
  };

  /** Opens the tail and returns a reader that waits (bounded) for text in the stream. */
  const open = async (base: string, query: string, headers: Record<string, string> = {}) => {
    const abort = new AbortController();
    const response = await fetch(`${base}/v1/events/stream?${query}`, {
      headers: { authorization: `Bearer ${api().keys.t1}`, ...headers },
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const until = async (pattern: RegExp, timeoutMs = 10_000) => {
      const timer = setTimeout(() => abort.abort(), timeoutMs);
      try {
        while (!pattern.test(text)) {
          const { value, done } = await reader.read();
          if (done) break;
          text += value;
        }
      } finally {
        clearTimeout(timer);
      }
      expect(text).toMatch(pattern);
      return text;
    };
    return { until, close: () => abort.abort() };
  };

  it('streams new matching events of the tenant, resumes from Last-Event-ID and stops on abort', async () => {
    await api().app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = api().app.server.address() as AddressInfo;
    const base = `http://127.0.0.1:${port}`;
    await append(endpointStream('t1', 'live'), registered('live', 'live'));
    const before = await listeners();
    const frames = (text: string) =>
      text
        .split('\n\n')
        .filter((frame) => frame.startsWith('id: '))
        .map((frame) => {
          const [id, event, data] = frame.split('\n');
          return { id, event, data: JSON.parse(data?.slice('data: '.length) ?? 'null') };
        });

    const pauses = await open(base, 'type=Paused');
    const live = await open(base, 'endpointId=live');
    await Promise.all([pauses.until(/^: following/), live.until(/^: following/)]);
    // Each tail holds one subscription (one LISTEN connection) while it is open.
    await waitFor('both subscriptions', async () =>
      (await listeners()) === before + 2 ? true : undefined,
    );
    await append(endpointStream('t2', 't2live'), paused('of t2', { ...user, tenantId: 't2' }));
    const other = await append(endpointStream('t1', 'other'), paused('another endpoint'));
    const position = await append(endpointStream('t1', 'live'), paused('this one'));

    const last = new RegExp(`id: ${position}\\n[^]*?\\n\\n`);
    expect(frames(await pauses.until(last)).map((f) => f.id)).toEqual([
      `id: ${other}`,
      `id: ${position}`,
    ]);
    const [frame, ...more] = frames(await live.until(last));
    expect(more).toEqual([]);
    expect(frame).toMatchObject({
      id: `id: ${position}`,
      event: 'event: Paused',
      data: { position, streamId: 'endpoint-t1.live', data: { reason: 'this one' } },
    });

    const resumed = await open(base, 'endpointId=live', { 'last-event-id': String(position - 1) });
    await resumed.until(new RegExp(`id: ${position}\\n`));
    for (const stream of [pauses, live, resumed]) stream.close();
    await waitFor('the subscriptions to stop', async () =>
      (await listeners()) === before ? true : undefined,
    );
    expect((await api().request('GET', '/v1/events?limit=1')).status).toBe(200);
    // fetch (undici) keeps spare sockets that never carried a request; Node does not count them
    // as idle, so app.close() would wait for undici's keep-alive timeout without this.
    api().app.server.closeAllConnections();
  });
});
