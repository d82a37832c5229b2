/**
 * The memory soak: the distributed topology at `rate` runs/s for `soakSeconds`, each process's
 * resident memory sampled every `soakSampleSeconds`. Memory is flat when, after the first minute
 * (JIT, heap sizing, pools filling), the least-squares trend of a process's RSS extrapolated
 * over that span grows less than {@link FLAT_GROWTH_PCT} % of its mean. Runs answered and
 * call-start p99 per sample interval come from the runs read model at the end, so a process
 * that stayed flat only by falling behind shows it.
 */
import type { SchedulingDb } from '@orrery/scheduling';
import { sql } from 'kysely';
import type { BenchConfig } from '../config.js';
import { processUsage } from '../cpu.js';
import type { Progress } from '../progress.js';
import { sleep } from '../time.js';
import { offerRate } from '../orrery/endpoints.js';
import { withTopology } from './phase.js';

/** Most a process's RSS may grow over the soak after its first minute, as a trend, % of its mean. */
export const FLAT_GROWTH_PCT = 10;
const SETTLE_S = 60;

export interface SoakProcess {
  readonly label: string;
  readonly rssMb: { readonly first: number; readonly last: number; readonly max: number };
  /** Least-squares slope after the first minute, MB per minute. */
  readonly slopeMbPerMinute: number;
  /** That slope over the span after the first minute, % of the span's mean RSS. */
  readonly trendGrowthPct: number;
  readonly flat: boolean;
}

export interface SoakInterval {
  /** Seconds from the first slot to the interval's start. */
  readonly fromS: number;
  readonly rssMb: readonly (number | null)[];
  readonly answeredPerSecond: number;
  readonly callStartP99Ms: number | null;
}

export interface SoakResult {
  readonly seconds: number;
  readonly sampleSeconds: number;
  readonly executors: number;
  readonly offeredPerSecond: number;
  readonly processes: readonly SoakProcess[];
  readonly intervals: readonly SoakInterval[];
  /** The worst process's trend growth, % (the verdict's reached value). */
  readonly worstGrowthPct: number | null;
  readonly flat: boolean | null;
}

export function runSoak(
  cfg: BenchConfig,
  adminUrl: string,
  targetUrl: string,
  progress: Progress,
  signal: AbortSignal,
): Promise<SoakResult> {
  const executors = cfg.soakExecutors;
  return withTopology(cfg, executors, adminUrl, 'soak', progress, async (topology) => {
    const { processes, models } = topology;
    const offered = await offerRate(cfg, models, targetUrl, signal);
    await sleep(Math.max(0, offered.firstSlot - Date.now()), signal);
    const samples: { atS: number; rssMb: (number | null)[] }[] = [];
    const start = Date.now();
    const intervals = Math.floor(cfg.soakSeconds / cfg.soakSampleSeconds);
    for (let i = 0; i <= intervals && !signal.aborted; i++) {
      const at = start + i * cfg.soakSampleSeconds * 1000;
      await sleep(Math.max(0, at - Date.now()), signal);
      const usage = await Promise.all(processes.map((p) => processUsage(p.pid)));
      const rssMb = usage.map((u) => (u === null ? null : u.rssMb));
      samples.push({ atS: (Date.now() - start) / 1000, rssMb });
      progress.update(
        `soak ${Math.round((Date.now() - start) / 1000)}/${cfg.soakSeconds} s  RSS MB ${processes
          .map((p, j) => `${p.label} ${rssMb[j]?.toFixed(0) ?? '–'}`)
          .join(' · ')}`,
      );
    }
    await sleep(3_000, signal); // the last interval's runs reach the read model
    // Interval i runs from sample i to sample i + 1.
    const perInterval = await intervalFigures(
      models.db,
      start,
      cfg.soakSampleSeconds,
      samples.length - 1,
    );
    const figures = processes.map((p, j) =>
      processTrend(
        p.label,
        samples.map((s) => ({ atS: s.atS, mb: s.rssMb[j] ?? null })),
      ),
    );
    const growths = figures.map((f) => f.trendGrowthPct).filter(Number.isFinite);
    const settled = samples.some((s) => s.atS > SETTLE_S + cfg.soakSampleSeconds);
    return {
      seconds: cfg.soakSeconds,
      sampleSeconds: cfg.soakSampleSeconds,
      executors,
      offeredPerSecond: (offered.endpoints * 1000) / offered.everyMs,
      processes: figures,
      intervals: samples.slice(0, -1).map((s, i) => ({
        fromS: Math.round(s.atS),
        rssMb: s.rssMb,
        answeredPerSecond: perInterval[i]?.answered ?? 0,
        callStartP99Ms: perInterval[i]?.p99 ?? null,
      })),
      worstGrowthPct: growths.length === 0 ? null : Math.max(...growths),
      flat: settled && growths.length > 0 ? figures.every((f) => f.flat) : null,
    };
  });
}

/** One process's RSS series: first, last, max, and its trend after the first minute. */
function processTrend(label: string, series: readonly { atS: number; mb: number | null }[]) {
  const known = series.filter((p): p is { atS: number; mb: number } => p.mb !== null);
  const after = known.filter((p) => p.atS >= SETTLE_S);
  const n = after.length;
  const meanT = after.reduce((a, p) => a + p.atS, 0) / n;
  const meanMb = after.reduce((a, p) => a + p.mb, 0) / n;
  const sxx = after.reduce((a, p) => a + (p.atS - meanT) ** 2, 0);
  const sxy = after.reduce((a, p) => a + (p.atS - meanT) * (p.mb - meanMb), 0);
  const slopePerS = n >= 2 && sxx > 0 ? sxy / sxx : NaN;
  const spanS = n >= 2 ? (after[n - 1]?.atS ?? 0) - (after[0]?.atS ?? 0) : 0;
  const trendGrowthPct = (slopePerS * spanS * 100) / meanMb;
  return {
    label,
    rssMb: {
      first: known[0]?.mb ?? NaN,
      last: known[known.length - 1]?.mb ?? NaN,
      max: Math.max(...known.map((p) => p.mb)),
    },
    slopeMbPerMinute: slopePerS * 60,
    trendGrowthPct,
    flat: Number.isFinite(trendGrowthPct) && trendGrowthPct < FLAT_GROWTH_PCT,
  };
}

/** Calls started per second and call-start p99 of the slots of each sample interval. */
async function intervalFigures(
  db: SchedulingDb,
  start: number,
  sampleSeconds: number,
  count: number,
): Promise<{ answered: number; p99: number | null }[]> {
  const { rows } = await sql<{ bucket: number; n: number; p99: number | null }>`
    select floor(extract(epoch from scheduled_for - ${new Date(start)}) / ${sampleSeconds})::int as bucket,
      count(*)::int as n,
      percentile_cont(0.99) within group (
        order by extract(epoch from started_at - scheduled_for) * 1000) as p99
    from runs /* bench */
    where scheduled_for >= ${new Date(start)} and started_at is not null
    group by 1`.execute(db);
  const byBucket = new Map(rows.map((r) => [r.bucket, r]));
  return Array.from({ length: count }, (_, i) => {
    const row = byBucket.get(i);
    return {
      answered: (row?.n ?? 0) / sampleSeconds,
      p99: row?.p99 === null || row?.p99 === undefined ? null : Number(row.p99),
    };
  });
}
