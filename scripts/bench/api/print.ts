/** The API phase's tables on stdout. */
import { pct, table } from '../table.js';
import type { ApiResult } from './result.js';

export function printApiReads(out: string[], r: ApiResult): void {
  out.push(
    `\nAPI READS: one process, loopback, ${r.jobs} jobs and ${r.endpoints} endpoints (read models caught up); load from a worker thread over ${r.connections} connections, ${r.seconds} s windows after ${r.warmupSeconds} s warm-up: saturated (autocannon, whole ms), then ${r.rate} req/s open loop (each request sent at its planned time; latency from that time; 'server' is the API's own http.server.request.duration of those answers, arrival to answer written; 'send lag' is the load thread's own lateness in sending; 'server µs/req' and 'pg µs/req' are the CPU the server's main thread and Postgres spent per answer in that window)`,
  );
  out.push(
    table(
      [
        'target',
        'req/s saturated',
        'share of bare',
        'p50 ms',
        'p99 ms',
        `@${r.rate}/s p50`,
        'p95',
        'p99',
        'max',
        'server p50',
        'server p99',
        'send lag p99',
        'server µs/req',
        'pg µs/req',
        'non-2xx',
      ],
      r.targets.map((t) => [
        t.label,
        t.saturated.perSecond,
        t.shareOfBare === null ? null : pct(t.shareOfBare * 100),
        t.saturated.latencyMs.p50,
        t.saturated.latencyMs.p99,
        t.fixedRate.latencyMs.p50,
        t.fixedRate.latencyMs.p95,
        t.fixedRate.latencyMs.p99,
        t.fixedRate.latencyMs.max,
        t.server?.p50,
        t.server?.p99,
        t.fixedRate.sendLagMs?.p99,
        Math.round(t.cpuPerRequest.serverUs),
        t.cpuPerRequest.postgresUs === null ? null : Math.round(t.cpuPerRequest.postgresUs),
        t.saturated.non2xx + t.fixedRate.non2xx + t.saturated.errors + t.fixedRate.errors,
      ]),
    ),
  );
  const row = r.targets.find((t) => t.name === 'bare-row');
  const job = r.targets.find((t) => t.name === 'job');
  if (row && job) {
    out.push(
      `  GET /v1/jobs/{id} served ${pct((job.saturated.perSecond / row.saturated.perSecond) * 100)} of the req/s of the bare route reading the same row (what Orrery's hooks, checks and view cost); that route ${pct((row.shareOfBare ?? Number.NaN) * 100)} of the bare route's (what one query costs)`,
    );
  }
  for (const t of r.targets) {
    if (!t.profile) continue;
    out.push(
      `\n  where ${t.label}'s time goes (server main thread, saturated window, ${t.profile.sampledMs} ms sampled; self time):`,
    );
    out.push(
      table(
        ['package', 'ms', '%'],
        t.profile.byPackage.slice(0, 12).map((p) => [p.name, p.ms, p.pct]),
      ),
    );
    out.push(
      table(
        ['function', 'ms', '%'],
        t.profile.topFunctions.slice(0, 12).map((f) => [f.name, f.ms, f.pct]),
      ),
    );
  }
  const { p99, shareOfBare } = r.goals;
  // What the same open loop measures of a route that does nothing: the machine's own share of
  // the p99 (the load generator, Postgres and the server share its cores).
  const bare = r.targets.find((t) => t.name === 'bare')?.fixedRate.latencyMs.p99;
  out.push(
    `\n  goal p99 ≤ ${p99.target} ms at ${r.rate} req/s: ${p99.reached} ms (${r.worst.p99Of}) → goal ${p99.met ? 'met' : 'missed'}${bare === undefined ? '' : ` (the bare route at that rate: p99 ${bare} ms)`}`,
  );
  out.push(
    `  goal ≥ ${pct(shareOfBare.target * 100)} of the bare route's req/s: ${pct((shareOfBare.reached ?? Number.NaN) * 100)} (${r.worst.shareOf}) → goal ${shareOfBare.met ? 'met' : 'missed'}`,
  );
}
