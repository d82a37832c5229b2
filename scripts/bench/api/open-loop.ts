/**
 * Load at a fixed rate, open loop: request i is planned at `start + i / rate` and sent then,
 * whatever happened to the requests before it, over a pool of keep-alive connections (undici).
 * Its latency runs from its planned time to the last byte of its response, so a request that
 * waited for a free connection, or for this thread's timer, counts that wait: no coordinated
 * omission, and nothing synthetic added.
 *
 * Why not autocannon's `overallRate`: it gives each connection a quota per second, and a
 * connection sends back to back until its quota is spent, then waits for the next second. At
 * 1,000 req/s over 10 connections against a read that serves 3,000 req/s, that is a third of a
 * second saturated and two thirds idle, every second; its latencies are those of the burst, and
 * its coordinated-omission correction (an expected interval of 1 ms per connection, whose real
 * interval is 10 ms) adds a synthetic sample for each millisecond of every response over 1 ms.
 */
import hdr from 'hdr-histogram-js';
import { Pool } from 'undici';
import type { Summary } from '../stats.js';
import type { LoadJob, LoadResult } from './load.js';

/** A request with no answer after this long fails (and the window still ends). */
const TIMEOUT_MS = 10_000;

export async function openLoop(job: LoadJob & { readonly rate: number }): Promise<LoadResult> {
  const url = new URL(job.url);
  const path = `${url.pathname}${url.search}`;
  const pool = new Pool(url.origin, {
    connections: job.connections,
    pipelining: 1,
    headersTimeout: TIMEOUT_MS,
    bodyTimeout: TIMEOUT_MS,
  });
  // Microseconds, three significant digits.
  const histogram = () =>
    hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000 });
  const latency = histogram();
  const sendLag = histogram();
  const total = Math.max(1, Math.round(job.seconds * job.rate));
  const interval = 1000 / job.rate;
  const statuses: Record<string, number> = {};
  let errors = 0;
  let non2xx = 0;
  let completed = 0;
  const start = performance.now() + 1;
  const planned = (i: number) => start + i * interval;
  const us = (ms: number) => Math.max(1, Math.round(ms * 1000));
  try {
    const ended = await new Promise<number>((resolve) => {
      let settled = 0;
      let sent = 0;
      const settle = () => {
        if (++settled === total) resolve(performance.now());
      };
      const send = (at: number) => {
        sendLag.recordValue(us(performance.now() - at));
        pool.request({ path, method: 'GET', headers: job.headers }).then(
          async (response) => {
            await response.body.arrayBuffer();
            const code = String(response.statusCode);
            statuses[code] = (statuses[code] ?? 0) + 1;
            if (response.statusCode >= 200 && response.statusCode < 300) {
              latency.recordValue(us(performance.now() - at));
              completed++;
            } else non2xx++;
            settle();
          },
          () => {
            errors++;
            settle();
          },
        );
      };
      // Every request planned by now goes out; then sleep until the next one is planned.
      const tick = () => {
        const now = performance.now();
        while (sent < total && planned(sent) <= now) send(planned(sent++));
        if (sent < total) setTimeout(tick, Math.max(0, planned(sent) - performance.now()));
      };
      tick();
    });
    const seconds = (ended - start) / 1000;
    const result: LoadResult = {
      requests: completed,
      perSecond: completed / seconds,
      seconds,
      latencyMs: inMs(latency),
      sendLagMs: inMs(sendLag),
      errors,
      non2xx,
      statuses,
    };
    return result;
  } finally {
    latency.destroy();
    sendLag.destroy();
    await pool.close();
  }
}

const inMs = (h: hdr.Histogram): Summary => {
  const ms = (value: number) => Math.round(value / 10) / 100; // two decimals
  return {
    count: h.totalCount,
    mean: ms(h.mean),
    min: ms(h.minNonZeroValue),
    p50: ms(h.getValueAtPercentile(50)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    max: ms(h.maxValue),
  };
};
