/** The shared shape of a phase: warm up, then a measured window, with a status line each second. */
import type { Progress } from './progress.js';
import { sleep } from './time.js';

export interface WindowOptions {
  readonly label: string;
  readonly warmupMs: number;
  readonly windowMs: number;
  readonly signal: AbortSignal;
  readonly progress: Progress;
  /** The status line, called once a second (`measuring` once the window has begun). */
  readonly status: (elapsedS: number, measuring: boolean) => string | Promise<string>;
  readonly onWindowStart?: () => Promise<void> | void;
  readonly onWindowEnd?: () => Promise<void> | void;
}

export interface MeasuredWindow {
  /** Epoch ms when the measured window began and ended. */
  readonly start: number;
  readonly end: number;
  readonly seconds: number;
  readonly aborted: boolean;
}

/**
 * Runs warm-up then window, returning the window's exact bounds. Bounded: at
 * most one status line per second for warm-up + window, whatever happens.
 */
export async function measureWindow(options: WindowOptions): Promise<MeasuredWindow> {
  const { warmupMs, windowMs, signal, progress } = options;
  const began = Date.now();
  const windowAt = began + warmupMs;
  const endAt = windowAt + windowMs;
  let start = windowAt;
  let started = false;
  let printedAt = 0;
  // Each round sleeps to the next second, the window's start or its end: bounded.
  const rounds = Math.ceil((warmupMs + windowMs) / 1000) * 2 + 6;
  for (let round = 0; round < rounds && !signal.aborted; round += 1) {
    const now = Date.now();
    if (!started && now >= windowAt) {
      await options.onWindowStart?.();
      start = Date.now();
      started = true;
    }
    if (now >= endAt) break;
    const nextSecond = began + (Math.floor((now - began) / 1000) + 1) * 1000;
    await sleep(Math.min(nextSecond, started ? endAt : windowAt) - now, signal);
    if (Date.now() >= nextSecond - 1 && Date.now() - printedAt >= 900) {
      printedAt = Date.now();
      const elapsed = (Date.now() - began) / 1000;
      progress.update(
        `${options.label} ${elapsed.toFixed(0).padStart(3)}s  ${await options.status(elapsed, started)}`,
      );
    }
  }
  if (!started) {
    await options.onWindowStart?.();
    start = Date.now();
  }
  const end = Date.now();
  await options.onWindowEnd?.();
  progress.done();
  return { start, end, seconds: Math.max((end - start) / 1000, 0.001), aborted: signal.aborted };
}
