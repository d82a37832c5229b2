/**
 * What the soak reads of each service process's memory besides RSS from /proc: the V8 heap, as
 * `memory-probe.mjs` reports it from inside the process (loaded through NODE_OPTIONS, so the
 * services carry no bench code), and least-squares trends of any series.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One reading of a process's heap, MB. */
export interface HeapSample {
  /** RSS as the process saw it at the same instant. */
  readonly rssMb: number;
  readonly heapUsedMb: number;
  readonly heapTotalMb: number;
  readonly externalMb: number;
  /** Heap in use just after the last full GC (null: none yet): the live heap. */
  readonly heapUsedAfterGcMb: number | null;
  /** Full (mark-compact) GCs so far. */
  readonly majorGcs: number;
}

/** Where the probes write, and the environment that loads them. */
export interface MemoryProbes {
  readonly dir: string;
  readonly env: Readonly<Record<string, string>>;
  /** The latest reading of process `pid` (null: none, or older than `maxAgeMs`). */
  read(pid: number, maxAgeMs?: number): Promise<HeapSample | null>;
  /** Removes the directory, unless heap snapshots were written there. */
  close(): Promise<void>;
}

const PROBE = fileURLToPath(new URL('./memory-probe.mjs', import.meta.url));

/**
 * Probes for the processes about to start. With `heapSnapshots`, SIGUSR2 makes a process write a
 * heap snapshot into `dir` (`node --heapsnapshot-signal`), and the directory is kept.
 */
export async function memoryProbes(heapSnapshots: boolean): Promise<MemoryProbes> {
  const dir = await mkdtemp(join(tmpdir(), 'orrery-soak-'));
  const options = [`--import="${PROBE}"`];
  if (heapSnapshots) options.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir="${dir}"`);
  return {
    dir,
    env: { NODE_OPTIONS: options.join(' '), BENCH_MEMORY_DIR: dir },
    async read(pid, maxAgeMs = 5_000) {
      try {
        const sample = JSON.parse(
          await readFile(join(dir, `${pid}.json`), 'utf8'),
        ) as HeapSample & {
          at: number;
        };
        return Date.now() - sample.at > maxAgeMs ? null : sample;
      } catch {
        return null;
      }
    },
    close: () => (heapSnapshots ? Promise.resolve() : rm(dir, { recursive: true, force: true })),
  };
}

/** A series' first, last and max, and its least-squares trend from `fromS` on. */
export interface Trend {
  readonly first: number;
  readonly last: number;
  readonly max: number;
  /** MB per minute. */
  readonly slopeMbPerMinute: number;
  /** The slope over the span from `fromS`, % of the span's mean. */
  readonly growthPct: number;
}

export function trendOf(
  series: readonly { atS: number; mb: number | null }[],
  fromS: number,
): Trend {
  const known = series.filter((p): p is { atS: number; mb: number } => p.mb !== null);
  const after = known.filter((p) => p.atS >= fromS);
  const n = after.length;
  const meanT = after.reduce((a, p) => a + p.atS, 0) / n;
  const meanMb = after.reduce((a, p) => a + p.mb, 0) / n;
  const sxx = after.reduce((a, p) => a + (p.atS - meanT) ** 2, 0);
  const sxy = after.reduce((a, p) => a + (p.atS - meanT) * (p.mb - meanMb), 0);
  const slopePerS = n >= 2 && sxx > 0 ? sxy / sxx : NaN;
  const spanS = n >= 2 ? (after[n - 1]?.atS ?? 0) - (after[0]?.atS ?? 0) : 0;
  return {
    first: known[0]?.mb ?? NaN,
    last: known[known.length - 1]?.mb ?? NaN,
    max: Math.max(...known.map((p) => p.mb)),
    slopeMbPerMinute: slopePerS * 60,
    growthPct: (slopePerS * spanS * 100) / meanMb,
  };
}
