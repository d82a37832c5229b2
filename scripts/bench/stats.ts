/** Latency samples and their percentiles (nearest rank). */

export interface Summary {
  readonly count: number;
  readonly mean: number;
  readonly min: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export const EMPTY: Summary = { count: 0, mean: 0, min: 0, p50: 0, p95: 0, p99: 0, max: 0 };

/** Nearest-rank percentile of an ascending array (0 when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return EMPTY;
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const arr = Array.from(sorted);
  return {
    count: arr.length,
    mean: sum / arr.length,
    min: arr[0] ?? 0,
    p50: percentile(arr, 50),
    p95: percentile(arr, 95),
    p99: percentile(arr, 99),
    max: arr[arr.length - 1] ?? 0,
  };
}

/** A bounded series: past `cap` values it counts but keeps no more (memory stays bounded). */
export class Samples {
  readonly #values: number[] = [];
  #total = 0;
  #count = 0;

  constructor(private readonly cap = 500_000) {}

  add(value: number): void {
    this.#count += 1;
    this.#total += value;
    if (this.#values.length < this.cap) this.#values.push(value);
  }

  get count(): number {
    return this.#count;
  }

  get total(): number {
    return this.#total;
  }

  summary(): Summary {
    const s = summarize(this.#values);
    return { ...s, count: this.#count, mean: this.#count > 0 ? this.#total / this.#count : 0 };
  }
}

/** A map of named sample series, created on first use. */
export class SeriesMap {
  readonly #series = new Map<string, Samples>();

  get(name: string): Samples {
    let s = this.#series.get(name);
    if (!s) {
      s = new Samples();
      this.#series.set(name, s);
    }
    return s;
  }

  entries(): [string, Samples][] {
    return [...this.#series.entries()];
  }

  summaries(): Record<string, Summary> {
    return Object.fromEntries(this.entries().map(([k, v]) => [k, v.summary()]));
  }
}

export const round = (value: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

/** Rounds every number of a summary for printing and JSON. */
export const rounded = (s: Summary, digits = 1): Summary => ({
  count: s.count,
  mean: round(s.mean, digits),
  min: round(s.min, digits),
  p50: round(s.p50, digits),
  p95: round(s.p95, digits),
  p99: round(s.p99, digits),
  max: round(s.max, digits),
});
