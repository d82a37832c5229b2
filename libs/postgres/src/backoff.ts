/**
 * How long to wait before the `attempt`-th retry (0-based) of something that failed: doubling
 * from `firstMs`, capped at `maxMs` (by default 1 s, 2 s, 4 s, then every 5 s). The one retry
 * schedule of every loop that outlives a database or network outage.
 *
 * The cap is how late a loop notices that the database is back, so it is short: a scheduler
 * that waited 30 s between attempts stayed idle up to 30 s after a 30 s outage ended. A refused
 * connection costs the server next to nothing, so trying every 5 s is cheap.
 */
export function backoffMs(attempt: number, firstMs = 1_000, maxMs = 5_000): number {
  return Math.min(firstMs * 2 ** Math.max(0, attempt), maxMs);
}
