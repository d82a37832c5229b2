import { startTargetServer, type TargetServer } from '@orrery/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, useApiHarness } from './test-support/api-harness.js';

// High limits: the fuzzer should reach the handlers, not the rate limiter (its bad keys
// would otherwise spend the address's failure budget and lock every later request out).
const api = useApiHarness({ rateLimitPerMinute: 1_000_000, authFailuresPerMinute: 1_000_000 });

/** Runs across all operations; FUZZ_RUNS and FUZZ_SEED reproduce or deepen a run. */
const TOTAL_RUNS = Number(process.env['FUZZ_RUNS'] ?? 300);
const SEED = process.env['FUZZ_SEED'] === undefined ? undefined : Number(process.env['FUZZ_SEED']);
const STREAM_PATH = '/v1/events/stream';

interface Operation {
  method: string;
  path: string;
  query: string[];
  hasBody: boolean;
}
interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}
/** A request body and its content type (undefined: not sent). */
interface Body {
  payload?: string;
  type?: string;
}
interface Answer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * Bugs the fuzzer found and that are not fixed yet (none now). The fuzzer
 * tolerates exactly these answers, so that it keeps looking for new ones; each
 * gets a regression test below marked `.fails` until its fix lands.
 */
const KNOWN_BUGS: Record<string, (request: FuzzRequest, answer: Answer) => boolean> = {};

/** Percent-encodes every byte but the unreserved ones (safe for lone surrogates, unlike encodeURIComponent). */
const enc = (text: string) =>
  [...Buffer.from(text, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');

const soon = () => new Date(Date.now() + 3_600_000).toISOString();
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

/** Path segments that exist as written: escapes, dot segments, overlong and broken encodings. */
const RAW_SEGMENTS = ['..', '../..', '..%2F..%2Fadmin', '%2e%2e', '%', '%zz', '%00', '%C0%AE'];
const ODD_SEGMENTS = ['', ' ', '__proto__', 'constructor', 'null', '-1', '0', 'a'.repeat(300)];
const QUERY_VALUES = [
  ...['', '0', '-1', '1', '1.5', '1e3', '201', '1001', 'NaN', 'Infinity', 'true', 'null', '[]'],
  ...['999999999999999', '9999999999999999', '-0', '0x10', 'active', 'archived', 'succeeded'],
  ...['interval', 'oneShot', 'user', 'Paused,Resumed', 'Paused,Nope', ',', 'HintProposed'],
  ...['2024-01-01T00:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z'],
  ...['2024-02-30T00:00:00Z', '2024-01-01T00:00:00+25:00', 'fz-job-1', 'endpoint-fz-ep-1'],
];
const RAW_QUERIES = ['%', '%zz=1', 'a=%E0%A4%A', '&&', '=', 'a&a&a', 'limit=1&limit=2'];
const NOT_JSON = ['{', 'NaN', "{'a':1}", '', '\uFEFF{}', 'undefined', '{"a":1}}', '[1,]'];
const POISON = ['{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}'];
const EXTREMES: unknown[] = [
  ...[null, true, 0, -1, 1.5, -0, 1e308, 2 ** 53, Number.MAX_SAFE_INTEGER, -(2 ** 31)],
  ...['', '***', 'enc:v1:abc', 'x'.repeat(5000), '\u0000', '\ud800', '😀'.repeat(50), 'a b:'],
  ...['0000-01-01T00:00:00Z', '\r\nx-injected: 1'],
  ...['9999-12-31T23:59:59.999Z', 'http://127.0.0.1:1/x', [], {}, [1, 'a'], { a: { b: [] } }],
];

/** Walks a JSON value: every path to a member, for mutations. */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, member]) => [
    [...prefix, key],
    ...pathsOf(member, [...prefix, key]),
  ]);
}

/** A copy of `value` with the member at `path` replaced (or deleted when `next` is undefined). */
function mutate(value: unknown, path: readonly string[], next: unknown): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path.at(-1);
  if (last === undefined) return next;
  if (next === undefined) delete node[last];
  else node[last] = next;
  return copy;
}

describe('fuzzing every operation of the OpenAPI document', () => {
  let target: TargetServer;
  let operations: Operation[];
  let baseUrl: string;
  /** Valid bodies per `METHOD path`, mutated by the fuzzer. */
  let templates: Record<string, unknown[]>;
  /** Ids per path parameter name: the tenant's own, then the other tenant's. */
  let ids: Record<string, string[]>;
  const seen = new Map<number, number>();

  beforeAll(async () => {
    target = await startTargetServer();
    const { request, keys } = api();
    const endpoint = (id: string) => ({
      id,
      name: id,
      request: {
        method: 'POST',
        url: `${target.url}/${id}`,
        headers: { 'x-token': { value: 's3cret', secret: true } },
        body: '{}',
      },
      baseline: { kind: 'interval', everyMs: 60_000 },
      timeoutMs: 2_000,
    });
    const runIds: string[] = [];
    for (const [key, job, eps] of [
      [keys.t1, 'fz-job-1', ['fz-ep-1', 'fz-ep-2']],
      [keys.t1, 'fz-job-2', ['fz-ep-3']],
      [keys.t2, 'fz-other-job', ['fz-other-ep']],
    ] as const) {
      expect(
        (await request('POST', '/v1/jobs', { key, body: { id: job, name: job } })).status,
      ).toBe(201);
      for (const ep of eps) {
        const url = `/v1/jobs/${job}/endpoints`;
        expect((await request('POST', url, { key, body: endpoint(ep) })).status).toBe(201);
      }
      const run = await request('POST', `/v1/endpoints/${eps[0]}/test-run`, { key, body: {} });
      expect(run.status).toBe(200);
      runIds.push(run.body.runId as string);
    }
    await api().catchUp();
    const revokedKeyId = keys.revoked.split('.')[1] ?? '';
    ids = {
      jobId: ['fz-job-1', 'fz-job-2', 'fz-other-job'],
      endpointId: ['fz-ep-1', 'fz-ep-2', 'fz-ep-3', 'fz-other-ep'],
      runId: runIds,
      tenantId: ['t1', 't2', 'nobody'],
      keyId: [revokedKeyId, 'ffffffffffff'],
      name: ['fz-pipeline', 'fz-other-pipeline'],
      edgeId: ['fz-ep-1.fz-ep-2', 'fz-ep-1.fz-ep-3', 'fz-ep-2.fz-ep-1', 'fz-other-ep.fz-ep-1'],
      sessionId: ['fz-session', '00000000-0000-4000-8000-000000000000'],
    };
    templates = {
      'POST /v1/admin/tenants': [{ id: 'fz-tenant', name: 'Fuzz' }],
      'POST /v1/admin/tenants/{tenantId}/keys': [{ name: 'fuzz' }],
      'POST /v1/jobs': [
        { name: 'fuzz', description: 'made by the fuzzer' },
        { name: 'fuzz', planner: { backend: 'heuristic', policy: { budget: { perJob: 10 } } } },
      ],
      'PATCH /v1/jobs/{jobId}': [
        { name: 'renamed', description: '' },
        {
          planner: { enabled: false, policy: { antiThrash: { maxChanges: 2, windowMs: 60_000 } } },
        },
      ],
      'POST /v1/jobs/{jobId}/pause': [{ until: soon(), reason: 'fuzz' }, { until: null }],
      'POST /v1/jobs/{jobId}/resume': [{ reason: 'fuzz' }],
      'POST /v1/jobs/{jobId}/endpoints': [
        endpoint('fz-new'),
        {
          ...endpoint('fz-cron'),
          baseline: { kind: 'cron', expression: '*/5 * * * *', timezone: 'Europe/Paris' },
          minIntervalMs: 1_000,
          maxIntervalMs: 3_600_000,
          jitterMs: 500,
          backoff: { factor: 3, maxMs: 60_000 },
        },
        { ...endpoint('fz-dep'), dependsOn: [{ upstream: 'fz-ep-1', condition: 'ok' }] },
      ],
      'PATCH /v1/endpoints/{endpointId}': [
        {
          name: 'renamed',
          request: { headers: { 'x-token': { value: '***', secret: true } }, body: null },
          maxIntervalMs: null,
          backoff: { maxMs: 120_000 },
        },
        { baseline: { kind: 'interval', everyMs: 1_000 }, minIntervalMs: 5_000 },
        { dependsOn: [{ upstream: 'fz-ep-3', mode: 'gate' }, { upstream: 'fz-ep-2' }] },
      ],
      'POST /v1/endpoints/{endpointId}/pause': [{ until: soon(), reason: 'fuzz' }],
      'POST /v1/endpoints/{endpointId}/resume': [{ reason: 'fuzz' }],
      'POST /v1/endpoints/{endpointId}/hints': [
        { kind: 'interval', intervalMs: 30_000, ttlMs: 3_600_000, reason: 'fuzz' },
        { kind: 'oneShot', inMs: 1_000 },
        { kind: 'oneShot', runAt: soon(), ttlMs: 7_200_000 },
      ],
      'POST /v1/endpoints/{endpointId}/run': [{ reason: 'fuzz' }],
      'POST /v1/endpoints/{endpointId}/test-run': [{}],
      'PUT /v1/pipelines/{name}': [
        {
          name: 'fz-pipeline',
          jobs: [
            {
              id: 'fz-pipe-job',
              name: 'Fuzzed pipeline',
              endpoints: [
                { ...endpoint('fz-pipe-a'), dependsOn: [{ upstream: 'fz-ep-1', mode: 'gate' }] },
                {
                  ...endpoint('fz-pipe-b'),
                  dependsOn: [{ upstream: 'fz-pipe-a', condition: 'ok && body.ready == true' }],
                  fanIn: { combine: 'fz_pipe_a' },
                },
              ],
            },
          ],
        },
      ],
      'POST /v1/what-if': [
        { from: ago(600_000), to: ago(1_000), job: 'fz-job-1' },
        {
          from: ago(300_000),
          to: ago(1_000),
          endpoints: ['fz-ep-1', 'fz-ep-2'],
          changes: {
            endpoints: { 'fz-ep-1': { baseline: { kind: 'interval', everyMs: 1_000 } } },
            policies: { 'fz-job-1': { antiThrash: { maxChanges: 1 } } },
            planner: 'off',
          },
        },
      ],
      'POST /v1/dependencies': [
        { downstream: 'fz-ep-2', upstream: 'fz-ep-1', condition: 'status == 200' },
        {
          downstream: 'fz-ep-3',
          upstream: 'fz-ep-1',
          name: 'first',
          mode: 'gate',
          freshness: { kind: 'duration', ms: 60_000 },
          onUpstreamFailure: { afterFailures: 3 },
        },
        { downstream: 'fz-ep-1', upstream: 'fz-ep-2' },
      ],
    };

    const doc = (await request('GET', '/openapi.json', { key: null })).body as {
      paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>>;
    };
    operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        hasBody: 'requestBody' in op,
      })),
    );
    // The live tail streams until the client goes: it is called over a socket and dropped.
    baseUrl = await api().app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await target.close();
  });

  const authorization = (op: Operation) => {
    const { keys } = api();
    const bearer = (key: string) => `Bearer ${key}`;
    const own = op.path.startsWith('/v1/admin') ? ADMIN_KEY : keys.t1;
    return fc.oneof(
      { weight: 12, arbitrary: fc.constant(bearer(own)) },
      {
        weight: 3,
        arbitrary: fc.constantFrom<string | null>(
          null,
          'Bearer',
          'Bearer nonsense',
          `Basic ${Buffer.from('a:b').toString('base64')}`,
          bearer(keys.t2),
          bearer(keys.revoked),
          bearer(keys.t1.replace(/.$/, 'A')),
          bearer(`ork_t1.000000000000.${'a'.repeat(43)}`),
          bearer('k'.repeat(8_000)),
          op.path.startsWith('/v1/admin') ? bearer(keys.t1) : bearer(ADMIN_KEY),
        ),
      },
    );
  };

  const segment = (name: string) =>
    fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(...(ids[name] ?? ['x'])).map(enc) },
      { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).map(enc) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map(enc) },
      { weight: 1, arbitrary: fc.constantFrom(...ODD_SEGMENTS).map(enc) },
      { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
      { weight: 1, arbitrary: fc.integer({ min: 65, max: 5_000 }).map((n) => 'i'.repeat(n)) },
    );

  const queryString = (op: Operation) => {
    const key = fc.oneof(
      { weight: 6, arbitrary: op.query.length ? fc.constantFrom(...op.query) : fc.constant('q') },
      { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'a[b]', 'limit[]', '') },
      { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
    );
    const value = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...QUERY_VALUES, ...(ids['endpointId'] ?? [])) },
      { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
      {
        weight: 1,
        arbitrary: fc
          .jsonValue({ maxDepth: 2 })
          .map((v) => Buffer.from(JSON.stringify(v) ?? 'null').toString('base64url')),
      },
      { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 20_000 }).map((n) => 'q'.repeat(n)) },
    );
    const pairs = fc
      .array(fc.tuple(key, value), { maxLength: 4 })
      .map((list) => list.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&'));
    return fc.oneof(
      { weight: 6, arbitrary: pairs },
      { weight: 1, arbitrary: fc.constantFrom(...RAW_QUERIES) },
    );
  };

  const body = (op: Operation): fc.Arbitrary<Body> => {
    const json = (value: unknown) => ({ payload: JSON.stringify(value), type: 'application/json' });
    const valid = templates[`${op.method} ${op.path}`] ?? [{}];
    const mutated = fc
      .tuple(
        fc.constantFrom(...valid),
        fc.nat(),
        fc.oneof(fc.constantFrom(...EXTREMES), fc.jsonValue({ maxDepth: 2 })),
        fc.boolean(),
      )
      .map(([template, pick, next, drop]) => {
        const paths = pathsOf(template);
        const path = paths.length ? (paths[pick % paths.length] ?? []) : [`extra${pick % 3}`];
        return json(mutate(template, path, drop ? undefined : next));
      });
    const nested = fc
      .tuple(fc.integer({ min: 100, max: 60_000 }), fc.boolean())
      .map(([depth, arrays]) =>
        arrays
          ? { payload: '['.repeat(depth) + ']'.repeat(depth), type: 'application/json' }
          : { payload: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`, type: 'application/json' },
      );
    const huge = fc
      .integer({ min: 10_000, max: 400_000 })
      .map((n) => json({ name: 'h'.repeat(n), reason: 'h'.repeat(n) }));
    const notJson = fc
      .oneof(fc.constantFrom(...NOT_JSON, ...POISON), fc.string({ maxLength: 50 }))
      .map((payload) => ({ payload, type: 'application/json' }));
    const otherType = fc.constantFrom(
      { payload: '{"name":"x"}', type: 'text/plain' },
      { payload: 'name=x', type: 'application/x-www-form-urlencoded' },
      { payload: '{"name":"x"}', type: 'application/problem+json' },
      { payload: '{"name":"x"}', type: 'application/json; charset=utf-16' },
      { payload: '{"name":"x"}', type: 'multipart/form-data; boundary=x' },
      { payload: '{"name":"x"}' },
    );
    const arbitraries = [
      { weight: op.hasBody ? 3 : 0, arbitrary: fc.constantFrom(...valid).map(json) },
      { weight: op.hasBody ? 6 : 0, arbitrary: mutated },
      { weight: op.hasBody ? 0 : 8, arbitrary: fc.constant({}) },
      { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map(json) },
      { weight: 1, arbitrary: fc.constantFrom(...EXTREMES).map(json) },
      { weight: 1, arbitrary: huge },
      { weight: 1, arbitrary: nested },
      { weight: 2, arbitrary: notJson },
      { weight: 1, arbitrary: otherType },
      { weight: op.hasBody ? 1 : 0, arbitrary: fc.constant({}) },
    ];
    return fc.oneof(...arbitraries.filter((a) => a.weight > 0));
  };

  const requestOf = (op: Operation): fc.Arbitrary<FuzzRequest> => {
    const names = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
    const stream = op.path === STREAM_PATH;
    return fc
      .record({
        auth: authorization(op),
        segments: fc.tuple(...names.map(segment)),
        query: fc.option(queryString(op), { freq: 3 }),
        body: stream ? fc.constant<Body>({}) : body(op),
        lastEventId: fc.option(fc.constantFrom('0', '42', '-1', 'x', '1'.repeat(20)), { freq: 2 }),
      })
      .map(({ auth, segments, query, body: { payload, type }, lastEventId }) => {
        let url = op.path;
        names.forEach((name, i) => (url = url.replace(`{${name}}`, segments[i] ?? '')));
        const headers: Record<string, string> = {};
        if (auth !== null) headers['authorization'] = auth;
        if (type) headers['content-type'] = type;
        if (stream && lastEventId !== null) headers['last-event-id'] = lastEventId;
        return {
          method: op.method,
          url: query === null ? url : `${url}?${query}`,
          headers,
          ...(payload === undefined ? {} : { payload }),
        };
      });
  };

  /** Injects; the live tail goes over a socket, dropped once its head has arrived. */
  async function send(request: FuzzRequest): Promise<Answer> {
    if (request.url.startsWith(STREAM_PATH)) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 5_000);
      try {
        const response = await fetch(`${baseUrl}${request.url}`, {
          headers: request.headers,
          signal: controller.signal,
        });
        const contentType = response.headers.get('content-type') ?? '';
        const text = response.status === 200 ? '' : await response.text();
        return { status: response.status, contentType, body: text };
      } finally {
        clearTimeout(timer);
        controller.abort();
      }
    }
    const response = await api().app.inject({
      method: request.method as 'GET',
      url: request.url,
      headers: request.headers,
      ...(request.payload === undefined ? {} : { payload: request.payload }),
    });
    return {
      status: response.statusCode,
      contentType: String(response.headers['content-type'] ?? ''),
      body: response.body,
    };
  }

  /** Never a 5xx; every 4xx is problem JSON whose status is the HTTP status. */
  function check(request: FuzzRequest, answer: Answer): void {
    seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1);
    const shown = {
      request: { ...request, payload: request.payload?.slice(0, 300) },
      answer: { ...answer, body: answer.body.slice(0, 500) },
    };
    const context = JSON.stringify(shown, null, 2);
    if (Object.values(KNOWN_BUGS).some((known) => known(request, answer))) return;
    expect(answer.status, `a server error\n${context}`).toBeLessThan(500);
    if (answer.status >= 400) {
      expect(answer.contentType, context).toMatch(/^application\/problem\+json/);
      const problem: unknown = JSON.parse(answer.body);
      expect(problem, context).toMatchObject({
        type: expect.stringMatching(/^\/problems\//),
        title: expect.any(String),
        status: answer.status,
        detail: expect.any(String),
      });
    } else if (answer.status === 204) {
      // No Content (a dependency removed): nothing to type.
      expect(answer.body, context).toBe('');
    } else if (request.url.startsWith(STREAM_PATH)) {
      expect(answer.contentType, context).toMatch(/^text\/event-stream/);
    } else {
      expect(answer.contentType, context).toMatch(/^application\/json/);
    }
  }

  it('answers malformed and hostile requests with problem JSON, never a 5xx', async () => {
    const numRuns = Math.max(1, Math.ceil(TOTAL_RUNS / operations.length));
    for (const op of operations) {
      await fc.assert(
        fc.asyncProperty(requestOf(op), async (request) => check(request, await send(request))),
        { numRuns, ...(SEED === undefined ? {} : { seed: SEED }) },
      );
    }
    // The fuzzer reached past authentication and validation into the handlers.
    const statuses = JSON.stringify([...seen].sort(([a], [b]) => a - b));
    const successes = [...seen].filter(([status]) => status < 300).reduce((n, [, c]) => n + c, 0);
    expect(successes, `no success among ${statuses}`).toBeGreaterThan(0);
    for (const status of [400, 401, 404])
      expect(seen.get(status) ?? 0, statuses).toBeGreaterThan(0);
  }, 60_000);

  describe('inputs that once answered 5xx or non-problem JSON', () => {
    const problemOf = async (request: FuzzRequest) => {
      const answer = await send(request);
      expect(answer.status).toBeLessThan(500);
      expect(answer.contentType).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(answer.body)).toMatchObject({ status: answer.status });
      return answer;
    };
    const t1 = () => ({ authorization: `Bearer ${api().keys.t1}` });
    const json = { 'content-type': 'application/json' };

    it('a NUL in a job name answers 400', async () => {
      const payload = JSON.stringify({ name: 'a\u0000b' });
      await problemOf({ method: 'POST', url: '/v1/jobs', headers: { ...t1(), ...json }, payload });
    });
    it('a lone surrogate in a job description answers 400', async () => {
      const payload = JSON.stringify({ name: 'x', description: '\ud800' });
      await problemOf({ method: 'POST', url: '/v1/jobs', headers: { ...t1(), ...json }, payload });
    });
    it('a NUL in an event filter answers 400', async () => {
      await problemOf({ method: 'GET', url: '/v1/events?streamId=%00', headers: t1() });
    });
    it('a 150-character run id answers problem JSON', async () => {
      await problemOf({ method: 'GET', url: `/v1/runs/${'r'.repeat(150)}`, headers: t1() });
    });
    it('a malformed percent-encoding answers problem JSON', async () => {
      await problemOf({ method: 'GET', url: '/v1/jobs/%zz', headers: t1() });
    });
  });
});
