/**
 * How long to wait before the `attempt`-th retry (0-based) of something that failed: doubling
 * from `firstMs`, capped at `maxMs` (by default 1 s, 2 s, 4 s … 30 s). The one retry schedule
 * of every loop that outlives a database or network outage.
 */
export function backoffMs(attempt: number, firstMs = 1_000, maxMs = 30_000): number {
  return Math.min(firstMs * 2 ** Math.max(0, attempt), maxMs);
}
