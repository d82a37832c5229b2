import { createServer, type Server } from 'node:http';
import {
  endpointDecider,
  endpointStream,
  jobDecider,
  jobStream,
  type EndpointCommand,
  type EndpointConfigInput,
  type EventStore,
} from '@orrery/domain';
import { handleCommand } from '@orrery/event-store';
import type { Logger } from 'pino';

/**
 * The built-in demo: a tiny "shop" on loopback and a few endpoints calling it,
 * so a newcomer sees runs happen. /inventory is fast, /orders fails one call
 * in five (watch the backoff), /report is slow.
 */
export async function startDemo(store: EventStore, log: Logger, port: number) {
  const server = await startDemoTarget(port);
  const base = `http://127.0.0.1:${port}`;
  const endpoints: { id: string; jobId: string; config: EndpointConfigInput }[] = [
    {
      id: 'demo-inventory',
      jobId: 'demo-shop',
      config: {
        name: 'inventory sync',
        description: 'Pulls stock levels; cheap and fast.',
        request: { url: `${base}/inventory` },
        baseline: { kind: 'interval', everyMs: 2_000 },
      },
    },
    {
      id: 'demo-orders',
      jobId: 'demo-shop',
      config: {
        name: 'orders poll',
        description: 'Fetches new orders; the shop fails now and then.',
        request: { url: `${base}/orders` },
        baseline: { kind: 'interval', everyMs: 3_000 },
        backoff: { factor: 2, maxMs: 30_000 },
      },
    },
    {
      id: 'demo-report',
      jobId: 'demo-reports',
      config: {
        name: 'sales report',
        description: 'A slow report, every ten seconds on the cron grid.',
        request: { url: `${base}/report`, method: 'POST', body: '{"range":"today"}' },
        baseline: { kind: 'cron', expression: '*/10 * * * * *', timezone: 'UTC' },
        timeoutMs: 5_000,
      },
    },
  ];
  const metadata = { tenantId: 'default', actor: { kind: 'system' as const, id: 'demo' } };
  const options = { now: Date.now, metadata };
  for (const [jobId, name] of [
    ['demo-shop', 'Demo shop'],
    ['demo-reports', 'Demo reports'],
  ] as const) {
    const created = await handleCommand(
      store,
      jobDecider,
      jobStream('default', jobId),
      { type: 'CreateJob', jobId, tenantId: 'default', name },
      options,
    );
    if (!created.ok && created.error.code !== 'conflict') {
      throw new Error(`demo job ${jobId}: ${created.error.message}`);
    }
  }
  for (const { id, jobId, config } of endpoints) {
    // Registered by an earlier start: keep it, and reconfigure it only if the demo changed.
    const outcome = await handleCommand(
      store,
      endpointDecider,
      endpointStream('default', id),
      (state): EndpointCommand =>
        state.status === 'unregistered'
          ? { type: 'Register', endpointId: id, jobId, tenantId: 'default', config }
          : { type: 'Reconfigure', config },
      options,
    );
    if (!outcome.ok) throw new Error(`demo endpoint ${id}: ${outcome.error.message}`);
    if (outcome.events.some((e) => e.type === 'EndpointRegistered')) {
      log.info({ endpoint: id }, 'demo endpoint registered');
    }
  }
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function startDemoTarget(port: number): Promise<Server> {
  let orders = 0;
  const server = createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/inventory') return json(200, { skus: 42, updated: new Date().toISOString() });
    if (req.url === '/orders') {
      orders++;
      return orders % 5 === 0
        ? json(503, { error: 'busy' })
        : json(200, { new: orders % 3, batch_id: `b${orders}` });
    }
    if (req.url === '/report') return void setTimeout(() => json(200, { total: 1234.5 }), 800);
    json(404, { error: 'not found' });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
