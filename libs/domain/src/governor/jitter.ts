import type { Millis } from '../time.js';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * 32-bit FNV-1a over the UTF-16 code units of `text`, followed by the murmur3 finalizer so
 * that inputs differing only in their last characters (consecutive slots) spread over all
 * bits. Unsigned result in `[0, 2^32)`.
 */
export function hash32(text: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A deterministic offset in `[0, jitterMs)` for one endpoint's slot: a hash of
 * `${endpointId}:${slot}`, never `Math.random`, so replaying the log gives the same schedule.
 * Different endpoints on the same slot spread out; one endpoint's slots vary from run to run.
 * Returns 0 when `jitterMs <= 0`.
 *
 * @example jitterOffset('ep_1', Date.UTC(2026, 0, 1), 5_000) // same value on every call
 */
export function jitterOffset(endpointId: string, slot: Millis, jitterMs: number): number {
  if (!(jitterMs > 0)) return 0;
  // jitterMs is at most a day (< 2^27), so the modulo bias over 2^32 is at most ~2%.
  return Math.floor(hash32(`${endpointId}:${slot}`) % jitterMs);
}
