import { waitFor } from '@orrery/testkit';

/**
 * Polls `probe` until it finds nothing left, at most `timeoutMs`. It returns as
 * soon as that holds, so a generous bound costs nothing on a quiet machine; on
 * timeout it fails naming how many were left and the first of them.
 */
export async function waitUntilNone(
  what: string,
  probe: () => Promise<readonly string[]>,
  { timeoutMs, intervalMs = 200 }: { timeoutMs: number; intervalMs?: number },
): Promise<void> {
  let left: readonly string[] = [];
  try {
    await waitFor(
      what,
      async () => {
        left = await probe();
        return left.length === 0 ? true : undefined;
      },
      { timeoutMs, intervalMs },
    );
  } catch (error) {
    const first = left.slice(0, 10).join('\n  ');
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}; ${left.length} left:\n  ${first}`, { cause: error });
  }
}
