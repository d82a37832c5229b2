import type { ChildProcess } from 'node:child_process';
import type { EmbeddedPostgresEvent } from './events.js';
import { stopChild } from './server-process.js';

/**
 * How the handle restarts a server that exited without `stop()`. The pause
 * before each attempt doubles from `initialDelayMs` up to `maxDelayMs`; after
 * `maxAttempts` failures in a row it gives up (reported as `gave-up`). A
 * restarted server that dies again before `stableAfterMs` counts as a
 * failure, so a server that crashes at once is never restarted in a loop.
 */
export interface RestartPolicy {
  /** Default 20 (about 2.5 minutes of attempts with the default pauses). */
  readonly maxAttempts?: number;
  /** Default 500 ms. */
  readonly initialDelayMs?: number;
  /** Default 10 s. */
  readonly maxDelayMs?: number;
  /** Default 30 s. */
  readonly stableAfterMs?: number;
}

export interface Supervisor {
  /** The running server's pid; undefined while it is down. */
  readonly pid: number | undefined;
  /** Ends supervision (a pending restart is cancelled), then stops the server. */
  stop(): Promise<void>;
}

/**
 * Watches `first` and, when it exits unasked, starts a new server with
 * `start` (which must clear what the dead one left behind).
 */
export function supervise(
  first: ChildProcess,
  start: (signal: AbortSignal) => Promise<ChildProcess>,
  policy: RestartPolicy | false,
  emit: (event: EmbeddedPostgresEvent) => void,
): Supervisor {
  const maxAttempts = policy ? (policy.maxAttempts ?? 20) : 0;
  const initialDelayMs = policy ? (policy.initialDelayMs ?? 500) : 0;
  const maxDelayMs = policy ? (policy.maxDelayMs ?? 10_000) : 0;
  const stableAfterMs = policy ? (policy.stableAfterMs ?? 30_000) : 0;
  const stopping = new AbortController();
  let current: ChildProcess | undefined;
  let upSince = 0;
  let failures = 0;
  let restarting: Promise<void> = Promise.resolve();

  const delay = () => Math.min(initialDelayMs * 2 ** failures, maxDelayMs);

  const watch = (child: ChildProcess) => {
    current = child;
    upSince = Date.now();
    child.once('exit', (code, signal) => {
      if (stopping.signal.aborted || child !== current) return;
      current = undefined;
      emit({ type: 'exited', pid: child.pid ?? 0, code, signal });
      if (Date.now() - upSince >= stableAfterMs) failures = 0;
      restarting = restart();
    });
  };

  const restart = async () => {
    const downSince = Date.now();
    let lastError = 'restarts are off';
    while (failures < maxAttempts) {
      await pause(delay(), stopping.signal);
      if (stopping.signal.aborted) return;
      failures++;
      try {
        const child = await start(stopping.signal);
        if (stopping.signal.aborted) return void (await stopChild(child));
        watch(child);
        emit({
          type: 'restarted',
          pid: child.pid ?? 0,
          attempt: failures,
          downMs: Date.now() - downSince,
        });
        return;
      } catch (error) {
        if (stopping.signal.aborted) return;
        lastError = error instanceof Error ? error.message : String(error);
        const last = failures >= maxAttempts;
        emit({
          type: 'restart-failed',
          attempt: failures,
          error: lastError,
          ...(last ? {} : { retryInMs: delay() }),
        });
      }
    }
    emit({ type: 'gave-up', attempts: failures, error: lastError });
  };

  watch(first);
  return {
    get pid() {
      return current?.pid;
    },
    async stop() {
      stopping.abort();
      await restarting;
      if (current) await stopChild(current);
      current = undefined;
    },
  };
}

/** Waits `ms`, or less if `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
