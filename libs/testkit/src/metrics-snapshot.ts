import type { Attributes } from '@opentelemetry/api';
import { DataPointType, type ResourceMetrics, type MetricData } from '@opentelemetry/sdk-metrics';

/** A histogram's figures, merged over the attribute sets that matched (values as recorded). */
export interface HistogramSummary {
  readonly count: number;
  readonly sum: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

const EMPTY: HistogramSummary = {
  count: 0,
  sum: 0,
  mean: 0,
  min: 0,
  max: 0,
  p50: 0,
  p95: 0,
  p99: 0,
};

const matches = (attributes: Attributes, where: Attributes) =>
  Object.entries(where).every(([key, value]) => attributes[key] === value);

/**
 * What a metric reader collected, read by instrument name and attributes. Histograms of the
 * same instrument merge across attribute sets (they share the reader's bucket boundaries);
 * percentiles interpolate within a bucket, so they are as fine as the boundaries.
 */
export class MetricsSnapshot {
  readonly #metrics = new Map<string, MetricData>();

  constructor(collected: ResourceMetrics) {
    for (const scope of collected.scopeMetrics) {
      for (const metric of scope.metrics) this.#metrics.set(metric.descriptor.name, metric);
    }
  }

  /** Names of the instruments that recorded something. */
  names(): string[] {
    return [...this.#metrics.keys()].sort();
  }

  /** The attribute sets an instrument recorded with. */
  attributeSets(name: string): Attributes[] {
    return (this.#metrics.get(name)?.dataPoints ?? []).map((p) => p.attributes);
  }

  /** A counter's total over the points whose attributes include `where`. */
  sum(name: string, where: Attributes = {}): number {
    const metric = this.#metrics.get(name);
    if (!metric || metric.dataPointType !== DataPointType.SUM) return 0;
    return metric.dataPoints
      .filter((p) => matches(p.attributes, where))
      .reduce((total, p) => total + p.value, 0);
  }

  /** A gauge's value at the point whose attributes include `where` (undefined: none observed). */
  gauge(name: string, where: Attributes = {}): number | undefined {
    const metric = this.#metrics.get(name);
    if (!metric || metric.dataPointType !== DataPointType.GAUGE) return undefined;
    return metric.dataPoints.find((p) => matches(p.attributes, where))?.value;
  }

  /** A histogram over the points whose attributes include `where`. */
  histogram(name: string, where: Attributes = {}): HistogramSummary {
    const metric = this.#metrics.get(name);
    if (!metric || metric.dataPointType !== DataPointType.HISTOGRAM) return EMPTY;
    const points = metric.dataPoints.filter((p) => matches(p.attributes, where));
    const first = points[0];
    if (!first) return EMPTY;
    const { boundaries } = first.value.buckets;
    const counts = new Array<number>(boundaries.length + 1).fill(0);
    let count = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const { value } of points) {
      value.buckets.counts.forEach((n, i) => (counts[i] = (counts[i] ?? 0) + n));
      count += value.count;
      sum += value.sum ?? 0;
      min = Math.min(min, value.min ?? Infinity);
      max = Math.max(max, value.max ?? -Infinity);
    }
    if (count === 0) return EMPTY;
    const at = (p: number) => percentile(boundaries, counts, count, p, min, max);
    return { count, sum, mean: sum / count, min, max, p50: at(50), p95: at(95), p99: at(99) };
  }
}

/** The p-th percentile of bucketed values: linear within the bucket holding that rank. */
function percentile(
  boundaries: readonly number[],
  counts: readonly number[],
  count: number,
  p: number,
  min: number,
  max: number,
): number {
  const rank = Math.max(1, Math.ceil((p / 100) * count));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i] ?? 0;
    if (seen + n >= rank) {
      const lower = Math.max(min, boundaries[i - 1] ?? min);
      const upper = Math.min(max, boundaries[i] ?? max);
      return lower + ((upper - lower) * (rank - seen)) / n;
    }
    seen += n;
  }
  return max;
}
