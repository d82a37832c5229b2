import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { endpointDecider, endpointStream, type EventStore } from '@orrery/domain';
import { createPostgresEventStore, handleCommand, migrateDatabase } from '@orrery/event-store';
import { schedulingMigrations } from '@orrery/scheduling';
import { parseTraceparent } from '@orrery/telemetry';
import {
  declareEdges,
  deleteKeysWithPrefix,
  describeWithRedis,
  redisUrl,
  startTargetServer,
  uniquePrefix,
  useTestDatabase,
  waitFor,
  type TargetServer,
} from '@orrery/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ServiceGroup } from './support/service-process.js';

/**
 * A cascade across processes is one trace: the projection (hosting the cascade processor), the
 * dispatcher and an executor run as separate processes and export their spans over OTLP/HTTP
 * (JSON) to a loopback receiver here.
 */
const db = useTestDatabase();
const TENANT = 'trace';
const READY_MS = 120_000;

interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly attributes: Record<string, unknown>;
}

/** An OTLP/HTTP JSON receiver on 127.0.0.1 that keeps every span it is sent. */
async function startOtlpReceiver(): Promise<{
  url: string;
  spans: ReceivedSpan[];
  close(): Promise<void>;
}> {
  const spans: ReceivedSpan[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpTraces;
        for (const rs of body.resourceSpans ?? []) {
          const service = String(
            rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value?.stringValue,
          );
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              spans.push({
                service,
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId ?? '',
                name: s.name,
                attributes: Object.fromEntries(
                  (s.attributes ?? []).map((a) => [a.key, Object.values(a.value ?? {})[0]]),
                ),
              });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface OtlpAttribute {
  key: string;
  value?: Record<string, unknown> & { stringValue?: string };
}
interface OtlpTraces {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        attributes?: OtlpAttribute[];
      }[];
    }[];
  }[];
}

describeWithRedis('a cascade across processes is one trace', () => {
  const prefix = uniquePrefix('cascade-trace-e2e');
  const services = new ServiceGroup();
  let target: TargetServer;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;

  beforeAll(async () => {
    target = await startTargetServer();
    receiver = await startOtlpReceiver();
    const url = db().url;
    await migrateDatabase(url, undefined, schedulingMigrations);
    const store = createPostgresEventStore({ connectionString: url, maxConnections: 2 });
    try {
      await declareChain(store, target.url);
    } finally {
      await store.close();
    }
    const env = {
      DATABASE_URL: url,
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'info',
      MIGRATE: 'false',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    for (const service of ['projection', 'dispatcher', 'executor'] as const) {
      services.start({
        service,
        label: service,
        env: service === 'executor' ? { ...env, ALLOW_LOOPBACK: 'true' } : env,
        readyTimeoutMs: READY_MS,
      });
    }
    await Promise.all(services.all.map((s) => s.ready));
  }, READY_MS + 30_000);

  afterAll(async () => {
    await services.stopAll();
    await deleteKeysWithPrefix(prefix);
    await target?.close();
    await receiver?.close();
  });

  it('extract → transform → load: one trace over the dispatcher, projection and executor', async () => {
    const executed = (endpoint: string) =>
      receiver.spans.find(
        (s) => s.name === 'orrery.run.execute' && s.attributes['orrery.endpoint.id'] === endpoint,
      );
    await waitFor('the load run’s call span exported', () => executed('load'), {
      timeoutMs: 60_000,
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${services.report()}`);
    });
    const load = target.requests.find((r) => r.path === '/load');
    const traceId = parseTraceparent(String(load?.headers['traceparent']))?.traceId;
    expect(traceId).toBeDefined();
    const extract = executed('extract');
    expect(extract?.traceId).toBe(traceId);
    expect(executed('transform')?.traceId).toBe(traceId);

    // Each process exports on its own schedule: the projection's trigger spans may arrive after
    // the load run's call span (seen in CI under load). Wait for them, then check the tree.
    const triggerOf = (spans: typeof receiver.spans, edge: string) =>
      spans.find(
        (s) => s.name === 'orrery.cascade.trigger' && s.attributes['orrery.edge.id'] === edge,
      );
    const inTrace = await waitFor(
      'the trace’s cascade trigger spans exported',
      () => {
        const spans = receiver.spans.filter((s) => s.traceId === traceId);
        return triggerOf(spans, 'extract.transform') && triggerOf(spans, 'transform.load')
          ? spans
          : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const services_ = new Set(inTrace.map((s) => s.service));
    expect(services_).toEqual(
      new Set(['orrery-dispatcher', 'orrery-executor', 'orrery-projection']),
    );
    const root = inTrace.filter((s) => s.parentSpanId === '');
    expect(root.map((s) => [s.name, s.attributes['orrery.endpoint.id']])).toEqual([
      ['orrery.run.dispatch', 'extract'],
    ]);
    const trigger = triggerOf(inTrace, 'extract.transform');
    expect(trigger?.service).toBe('orrery-projection');
    expect(trigger?.parentSpanId).toBe(extract?.spanId);
    expect(trigger?.attributes['orrery.cascade.outcome']).toBe('triggered');
    const transform = executed('transform');
    expect(transform?.parentSpanId).toBe(trigger?.spanId);
  });
});

async function declareChain(store: EventStore, url: string): Promise<void> {
  const register = async (endpointId: string, jobId: string, first: boolean) => {
    const result = await handleCommand(
      store,
      endpointDecider,
      endpointStream(TENANT, endpointId),
      {
        type: 'Register',
        endpointId,
        jobId,
        tenantId: TENANT,
        config: {
          name: endpointId,
          request: { url: `${url}/${endpointId}` },
          // The head runs once, now; the others only when a cascade makes them.
          baseline: first ? { kind: 'interval', everyMs: 3_600_000 } : { kind: 'none' },
          ...(first ? { start: { kind: 'immediately' } } : {}),
        },
      },
      { now: Date.now, metadata: { tenantId: TENANT, actor: { kind: 'user', id: 'test' } } },
    );
    expect(result.ok).toBe(true);
  };
  await register('extract', 'etl', true);
  await register('transform', 'etl', false);
  await register('load', 'report', false);
  await declareEdges(store, TENANT, 'transform', [{ upstream: 'extract' }]);
  await declareEdges(store, TENANT, 'load', [{ upstream: 'transform' }]);
}
