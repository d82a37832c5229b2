/**
 * The memory soak: the distributed topology at `rate` runs/s for `soakSeconds`, each process's
 * resident memory sampled every `soakSampleSeconds`. Memory is flat when, after the first minute
 * (JIT, heap sizing, pools filling), the least-squares trend of a process's RSS extrapolated
 * over that span grows less than {@link FLAT_GROWTH_PCT} % of its mean. Runs answered and
 * call-start p99 per sample interval come from the runs read model at the end, so a process
 * that stayed flat only by falling behind shows it.
 *
 * Beside RSS, each process's V8 heap as a probe inside it reports it (`memory-probe.mjs`): the
 * heap in use, and the heap in use just after the last full GC, whose trend tells a leak (it
 * grows) from a heap that is still sizing itself or a sawtooth of garbage between collections
 * (RSS moves, the live heap does not).
 */
import type { SchedulingDb } from '@orrery/scheduling';
import { sql } from 'kysely';
import type { BenchConfig } from '../config.js';
import { processUsage } from '../cpu.js';
import type { Progress } from '../progress.js';
import { sleep } from '../time.js';
import { offerRate } from '../orrery/endpoints.js';
import { memoryProbes, trendOf, type HeapSample, type Trend } from './memory.js';
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
  /**
   * RSS taken apart by the probe inside the process (null: it reported nothing), each with its
   * trend after the first minute. RSS is the V8 heap's size plus the rest; a leak of JavaScript
   * objects grows `live`, a native one (buffers, the allocator) grows `outsideHeap`, and what is
   * left is the heap's garbage between full GCs: a sawtooth whose height V8 adjusts.
   */
  readonly heap: {
    /** Heap in use at each sample, garbage included. */
    readonly used: Trend;
    /** Heap in use just after the last full GC: the live heap. */
    readonly live: Trend;
    /** RSS less the V8 heap's size (code, stacks, buffers, the allocator's pages). */
    readonly outsideHeap: Trend;
    /** Full (mark-compact) GCs over the soak. */
    readonly majorGcs: number;
  } | null;
}

export interface SoakInterval {
  /** Seconds from the first slot to the interval's start. */
  readonly fromS: number;
  readonly rssMb: readonly (number | null)[];
  /**
   * Per process at the interval's start: the V8 heap's size (what of RSS the heap holds), what of
   * it is in use, what was in use after the last full GC, and memory outside it held by JS objects
   * (buffers).
   */
  readonly heapTotalMb: readonly (number | null)[];
  readonly heapUsedMb: readonly (number | null)[];
  readonly heapAfterGcMb: readonly (number | null)[];
  readonly externalMb: readonly (number | null)[];
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
  /**
   * The worst process's trend growth of its live heap and of its RSS outside the heap, %, and
   * whether both stayed under {@link FLAT_GROWTH_PCT} in every process (null: a probe did not
   * report). When they did, whatever RSS did was the heap's garbage between full GCs, not a leak.
   */
  readonly worstLiveHeapGrowthPct: number | null;
  readonly worstOutsideHeapGrowthPct: number | null;
  readonly leakFree: boolean | null;
  /** Where the heap snapshots went (BENCH_SOAK_HEAP_SNAPSHOTS), else null. */
  readonly heapSnapshotDir: string | null;
}

interface Sample {
  readonly atS: number;
  readonly rssMb: (number | null)[];
  readonly heap: (HeapSample | null)[];
}

export async function runSoak(
  cfg: BenchConfig,
  adminUrl: string,
  targetUrl: string,
  progress: Progress,
  signal: AbortSignal,
): Promise<SoakResult> {
  const executors = cfg.soakExecutors;
  const probes = await memoryProbes(cfg.soakHeapSnapshots);
  try {
    return await withTopology(
      cfg,
      executors,
      adminUrl,
      'soak',
      progress,
      async (topology) => {
        const { processes, models } = topology;
        const offered = await offerRate(cfg, models, targetUrl, signal);
        await sleep(Math.max(0, offered.firstSlot - Date.now()), signal);
        const samples: Sample[] = [];
        const start = Date.now();
        const intervals = Math.floor(cfg.soakSeconds / cfg.soakSampleSeconds);
        let snapshotted = false;
        for (let i = 0; i <= intervals && !signal.aborted; i++) {
          const at = start + i * cfg.soakSampleSeconds * 1000;
          await sleep(Math.max(0, at - Date.now()), signal);
          const [usage, heap] = await Promise.all([
            Promise.all(processes.map((p) => processUsage(p.pid))),
            Promise.all(processes.map((p) => probes.read(p.pid))),
          ]);
          const rssMb = usage.map((u) => (u === null ? null : u.rssMb));
          const atS = (Date.now() - start) / 1000;
          samples.push({ atS, rssMb, heap });
          // After the first minute and at the end (a snapshot pauses its process for seconds).
          if (cfg.soakHeapSnapshots && ((!snapshotted && atS >= SETTLE_S) || i === intervals)) {
            snapshotted = true;
            for (const p of processes) p.kill('SIGUSR2');
          }
          progress.update(
            `soak ${Math.round(atS)}/${cfg.soakSeconds} s  RSS/heap MB ${processes
              .map(
                (p, j) =>
                  `${p.label} ${rssMb[j]?.toFixed(0) ?? '–'}/${heap[j]?.heapUsedMb.toFixed(0) ?? '–'}`,
              )
              .join(' · ')}`,
          );
        }
        if (cfg.soakHeapSnapshots) await sleep(15_000, signal); // the last snapshots written
        await sleep(3_000, signal); // the last interval's runs reach the read model
        // Interval i runs from sample i to sample i + 1.
        const perInterval = await intervalFigures(
          models.db,
          start,
          cfg.soakSampleSeconds,
          samples.length - 1,
        );
        const figures = processes.map((p, j) => processFigures(p.label, samples, j));
        const growths = figures.map((f) => f.trendGrowthPct).filter(Number.isFinite);
        const live = figures.map((f) => f.heap?.live.growthPct ?? NaN);
        const outside = figures.map((f) => f.heap?.outsideHeap.growthPct ?? NaN);
        const worst = (g: number[]) => (g.every(Number.isFinite) ? Math.max(...g) : null);
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
            heapTotalMb: s.heap.map((h) => h?.heapTotalMb ?? null),
            heapUsedMb: s.heap.map((h) => h?.heapUsedMb ?? null),
            heapAfterGcMb: s.heap.map((h) => h?.heapUsedAfterGcMb ?? null),
            externalMb: s.heap.map((h) => h?.externalMb ?? null),
            answeredPerSecond: perInterval[i]?.answered ?? 0,
            callStartP99Ms: perInterval[i]?.p99 ?? null,
          })),
          worstGrowthPct: growths.length === 0 ? null : Math.max(...growths),
          flat: settled && growths.length > 0 ? figures.every((f) => f.flat) : null,
          worstLiveHeapGrowthPct: worst(live),
          worstOutsideHeapGrowthPct: worst(outside),
          leakFree: settled
            ? [...live, ...outside].every((g) => g < FLAT_GROWTH_PCT) // false for a NaN
            : null,
          heapSnapshotDir: cfg.soakHeapSnapshots ? probes.dir : null,
        };
      },
      probes.env,
    );
  } finally {
    await probes.close();
  }
}

/** Process `j`'s RSS and heap series: first, last, max, and their trends after the first minute. */
function processFigures(label: string, samples: readonly Sample[], j: number): SoakProcess {
  const series = (mb: (s: Sample) => number | null | undefined) =>
    trendOf(
      samples.map((s) => ({ atS: s.atS, mb: mb(s) ?? null })),
      SETTLE_S,
    );
  const rss = series((s) => s.rssMb[j]);
  const last = samples.findLast((s) => s.heap[j])?.heap[j] ?? null;
  return {
    label,
    rssMb: { first: rss.first, last: rss.last, max: rss.max },
    slopeMbPerMinute: rss.slopeMbPerMinute,
    trendGrowthPct: rss.growthPct,
    flat: Number.isFinite(rss.growthPct) && rss.growthPct < FLAT_GROWTH_PCT,
    heap:
      last === null
        ? null
        : {
            used: series((s) => s.heap[j]?.heapUsedMb),
            live: series((s) => s.heap[j]?.heapUsedAfterGcMb),
            // Both read by the probe at the same instant (RSS from /proc is up to a second apart).
            outsideHeap: series((s) => {
              const h = s.heap[j];
              return h ? h.rssMb - h.heapTotalMb : null;
            }),
            majorGcs: last.majorGcs,
          },
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
