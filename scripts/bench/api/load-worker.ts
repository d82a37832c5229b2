/**
 * The API phase's load generator, in a worker thread so its CPU never shows in the server's
 * profile (it still shares the machine's cores, as a client on the same host does). Takes
 * `{ id, job }` messages, runs the load on this thread — autocannon to saturate, the open loop of
 * open-loop.ts at a fixed rate — and posts `{ id, result }` back.
 */
import { parentPort } from 'node:worker_threads';
import autocannon from 'autocannon';
import hdr from 'hdr-histogram-js';
import type { LoadJob, LoadResult } from './load.js';
import { openLoop } from './open-loop.js';

const port = parentPort;
if (!port) throw new Error('load-worker.ts must run as a worker thread');

interface RawResult {
  latencies: string;
  totalCompletedRequests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
  statusCodeStats: Record<string, { count: number }>;
}

async function run(job: LoadJob): Promise<LoadResult> {
  if (job.rate !== null) return openLoop({ ...job, rate: job.rate });
  // Off the main thread autocannon hands back its raw result: the latency histogram encoded.
  const raw = (await autocannon({
    url: job.url,
    connections: job.connections,
    duration: job.seconds,
    headers: job.headers,
  })) as unknown as RawResult;
  const histogram = hdr.decodeFromCompressedBase64(raw.latencies);
  const at = (p: number) => histogram.getValueAtPercentile(p);
  const result: LoadResult = {
    requests: raw.totalCompletedRequests,
    perSecond: raw.totalCompletedRequests / raw.duration,
    seconds: raw.duration,
    latencyMs: {
      count: histogram.totalCount,
      mean: histogram.mean,
      min: histogram.minNonZeroValue,
      p50: at(50),
      p95: at(95),
      p99: at(99),
      max: histogram.maxValue,
    },
    errors: raw.errors + raw.timeouts,
    non2xx: raw.non2xx,
    statuses: Object.fromEntries(
      Object.entries(raw.statusCodeStats).map(([code, s]) => [code, s.count]),
    ),
  };
  histogram.destroy();
  return result;
}

port.on('message', (message: { id: number; job: LoadJob } | 'close') => {
  if (message === 'close') {
    port.close();
    return;
  }
  run(message.job).then(
    (result) => port.postMessage({ id: message.id, result }),
    (error: unknown) => port.postMessage({ id: message.id, error: String(error) }),
  );
});
port.postMessage({ ready: true });
