/** Small time helpers: abortable sleeps and bounded waits. */

/** Resolves after `ms`, or at once when `signal` aborts. Never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Polls `check` every `everyMs` until it returns true, at most `timeoutMs`.
 * Returns whether the condition was met (false on timeout or abort).
 */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  {
    timeoutMs,
    everyMs = 50,
    signal,
  }: { timeoutMs: number; everyMs?: number; signal?: AbortSignal },
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !signal?.aborted) {
    if (await check()) return true;
    await sleep(everyMs, signal);
  }
  return false;
}

/** Runs `promise` but gives up waiting after `ms` (the work itself is not cancelled). */
export async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      console.warn(`  ! ${what} did not finish within ${ms} ms; moving on`);
      resolve(undefined);
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
