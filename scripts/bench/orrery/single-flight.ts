import type { AppendOutcome, AppendRequest } from '@orrery/domain';

export type AppendEach = (requests: readonly AppendRequest[]) => Promise<readonly AppendOutcome[]>;

/**
 * EXPERIMENT `group-commit` (a simulation of a suggested lib fix): at most one
 * appendEach in flight; calls arriving meanwhile are merged into the next one
 * (up to `maxRequests`), so the ordering lock is taken once per group instead
 * of once per 2 ms batch, and waiting callers do not each hold a pool connection.
 */
export function singleFlight(appendEach: AppendEach, maxRequests = 1000): AppendEach {
  interface Call {
    readonly requests: readonly AppendRequest[];
    readonly resolve: (outcomes: readonly AppendOutcome[]) => void;
    readonly reject: (error: unknown) => void;
  }
  let pending: Call[] = [];
  let running = false;
  const drain = async () => {
    running = true;
    while (pending.length > 0) {
      const group: Call[] = [];
      let size = 0;
      for (const call of pending) {
        if (group.length > 0 && size + call.requests.length > maxRequests) break;
        group.push(call);
        size += call.requests.length;
      }
      pending = pending.slice(group.length);
      try {
        const outcomes = await appendEach(group.flatMap((c) => c.requests));
        let offset = 0;
        for (const call of group) {
          call.resolve(outcomes.slice(offset, offset + call.requests.length));
          offset += call.requests.length;
        }
      } catch (error) {
        for (const call of group) call.reject(error);
      }
    }
    running = false;
  };
  return (requests) =>
    new Promise((resolve, reject) => {
      pending.push({ requests, resolve, reject });
      if (!running) void drain();
    });
}
