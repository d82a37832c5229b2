import { WhatIfChanges, type WhatIfChangesInput } from './changes.js';
import { Recorder, T0 } from './recorder.test-support.js';
import { whatIf, type WhatIfRequest } from './what-if.js';

/** The window the shop's what-ifs re-run: a minute, after ten seconds of history. */
export const FROM = T0 + 10_000;
export const TO = T0 + 70_000;

/**
 * A recorded minute of a small shop, like the demo's: `orders` every 3 s (one call in five
 * answers 503, so it backs off), `inventory` every 2 s, and `pack` in another job, trigger-only,
 * run by each orders response that reports new orders; `quiet`, trigger-only, never ran. A planner slowed inventory to 6 s for half
 * a minute, and asked for one extra look at orders. `timing`: the live system's dispatcher tick,
 * cascade hop and append latency (see {@link Recorder}).
 */
export function recordShop(
  timing: { tickMs?: number; hopMs?: number; appendMs?: number } = {},
): Recorder {
  return new Recorder({
    ...timing,
    answer: (id, n) => {
      if (id !== 'orders') return { status: 200, body: { ok: true }, durationMs: 15 };
      if (n % 5 === 0) return { status: 503, body: { error: 'busy' }, durationMs: 40 };
      return { status: 200, body: { new: n % 3, batch_id: `b${n}` }, durationMs: 40 };
    },
  })
    .createJob('shop')
    .createJob('fulfil')
    .register('orders', 'shop', { backoff: { factor: 2, maxMs: 30_000 } })
    .register('inventory', 'shop', { baseline: { kind: 'interval', everyMs: 2000 } })
    .register('pack', 'fulfil', { baseline: { kind: 'none' } })
    .register('quiet', 'fulfil', { baseline: { kind: 'none' } })
    .declare('pack', { upstream: 'orders', name: 'orders', condition: 'body.new > 0' })
    .plan(T0 + 20_000, 'inventory', 'p1', { kind: 'interval', intervalMs: 6000, ttlMs: 30_000 })
    .plan(T0 + 25_000, 'orders', 'p2', { kind: 'oneShot', ttlMs: 60_000 })
    .runUntil(T0 + 80_000);
}

/** A what-if over the recorder's history; throws when it is refused. */
export function whatIfOf(
  recorder: Recorder,
  changes: WhatIfChangesInput = {},
  options: Partial<Omit<WhatIfRequest, 'changes' | 'history'>> = {},
) {
  const result = attempt(recorder, changes, options);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

export const attempt = (
  recorder: Recorder,
  changes: WhatIfChangesInput = {},
  options: Partial<Omit<WhatIfRequest, 'changes' | 'history'>> = {},
) =>
  whatIf({
    tenantId: 't1',
    from: FROM,
    to: TO,
    history: recorder.history(),
    changes: WhatIfChanges.parse(changes),
    ...options,
  });
