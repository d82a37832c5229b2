import { createServer, type Server } from 'node:http';
import { applyPipeline, type ApiDeps } from '@orrery/api';
import type { PipelineDocumentInput } from '@orrery/domain';
import type { Logger } from 'pino';

/**
 * The built-in demo: a tiny "shop" on loopback and a pipeline calling it, so a newcomer sees
 * runs and a cascade happen. /inventory is fast, /orders fails one call in five (watch the
 * backoff) and reports how many new orders it has; /report is slow. Whenever /orders reports new
 * orders, `demo-pack` in another job runs at once, with the batch id and the count of the orders
 * response in its URL and body (a cross-job cascade, data flowing through a template).
 *
 * The shop also speaks the coordination signals the heuristic planner reads
 * (docs/coordination-signals.md): /inventory says now and then that stock is stable and asks to
 * be polled every 6 s for half a minute; /orders asks for an immediate second look when it
 * reports two new orders (more may be waiting).
 *
 * Applied as a pipeline (`demo`): applying it again at the next start appends nothing, and
 * endpoints an earlier demo registered one by one are taken over as they are.
 */
export async function startDemo(
  deps: Pick<ApiDeps, 'store' | 'db' | 'events' | 'secrets' | 'now'>,
  log: Logger,
  port: number,
) {
  const server = await startDemoTarget(port);
  const result = await applyPipeline(deps, {
    tenantId: 'default',
    name: 'demo',
    document: demoPipeline(`http://127.0.0.1:${port}`),
    dryRun: false,
    metadata: { tenantId: 'default', actor: { kind: 'system', id: 'demo' } },
  });
  if (result.changed) log.info({ pipeline: 'demo', summary: result.summary }, 'demo applied');
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The demo's jobs, endpoints and the edge between two of them. */
export function demoPipeline(base: string): PipelineDocumentInput {
  return {
    name: 'demo',
    description: 'A loopback shop: stock, orders, a slow report, and packing driven by orders.',
    jobs: [
      {
        id: 'demo-shop',
        name: 'Demo shop',
        endpoints: [
          {
            id: 'demo-inventory',
            name: 'inventory sync',
            description: 'Pulls stock levels; cheap and fast.',
            request: { url: `${base}/inventory` },
            baseline: { kind: 'interval', everyMs: 2_000 },
          },
          {
            id: 'demo-orders',
            name: 'orders poll',
            description: 'Fetches new orders; the shop fails now and then.',
            request: { url: `${base}/orders` },
            baseline: { kind: 'interval', everyMs: 3_000 },
            backoff: { factor: 2, maxMs: 30_000 },
          },
        ],
      },
      {
        id: 'demo-reports',
        name: 'Demo reports',
        endpoints: [
          {
            id: 'demo-report',
            name: 'sales report',
            description: 'A slow report, every ten seconds on the cron grid.',
            request: { url: `${base}/report`, method: 'POST', body: '{"range":"today"}' },
            baseline: { kind: 'cron', expression: '*/10 * * * * *', timezone: 'UTC' },
            timeoutMs: 5_000,
          },
        ],
      },
      {
        id: 'demo-fulfilment',
        name: 'Demo fulfilment',
        endpoints: [
          {
            id: 'demo-pack',
            name: 'pack new orders',
            description: 'Runs when the orders poll reports new orders, for that batch.',
            request: {
              url: `${base}/pack?batch={{ upstream.orders.body.batch_id }}`,
              method: 'POST',
              body: '{"orders": {{ upstream.orders.body.new }}}',
            },
            baseline: { kind: 'none' },
            dependsOn: [{ upstream: 'demo-orders', name: 'orders', condition: 'body.new > 0' }],
          },
        ],
      },
    ],
  };
}

function startDemoTarget(port: number): Promise<Server> {
  let orders = 0;
  let inventory = 0;
  const server = createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const path = new URL(req.url ?? '/', 'http://demo').pathname;
    if (path === '/inventory') {
      inventory++;
      const stable = inventory % 10 === 0;
      return json(200, {
        skus: 42,
        updated: new Date().toISOString(),
        ...(stable ? { recommended_interval_ms: 6_000, hint_ttl_ms: 30_000 } : {}),
      });
    }
    if (path === '/orders') {
      orders++;
      if (orders % 5 === 0) return json(503, { error: 'busy' });
      const fresh = orders % 3;
      return json(200, {
        new: fresh,
        batch_id: `b${orders}`,
        ...(fresh === 2 ? { request_immediate_check: true } : {}),
      });
    }
    if (path === '/report') return void setTimeout(() => json(200, { total: 1234.5 }), 800);
    if (path === '/pack') {
      const batch = new URL(req.url ?? '/', 'http://demo').searchParams.get('batch');
      return json(200, { packed: true, batch });
    }
    json(404, { error: 'not found' });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
