/** Grows an endpoint's stream fast: Paused/Resumed pairs appended in large batches. */
import { endpointStream, makeEvent, type DomainEvent, type EventStore } from '@orrery/domain';
import type { Progress } from '../progress.js';

/** Events per appendMany: one INSERT of this many rows under the ordering lock. */
const BATCH = 10_000;

/**
 * Appends Paused/Resumed pairs to the endpoint's stream until it holds `events` events (it
 * ends resumed, as it began). Shows progress once a second.
 */
export async function growStream(
  store: EventStore,
  tenantId: string,
  endpointId: string,
  events: number,
  progress: Progress,
  signal: AbortSignal,
): Promise<{ version: number; ms: number }> {
  const streamId = endpointStream(tenantId, endpointId);
  const metadata = { tenantId, actor: { kind: 'system' as const, id: 'bench' } };
  const started = performance.now();
  let version = (await store.readStream(streamId)).length;
  let shownAt = 0;
  while (version < events - 1 && !signal.aborted) {
    // Whole pairs only, so the endpoint ends resumed.
    const pairs = Math.min(BATCH, events - version) >> 1;
    const batch: DomainEvent[] = [];
    for (let i = 0; i < pairs; i++) {
      batch.push(makeEvent('Paused', { until: null, reason: 'bench' }, metadata));
      batch.push(makeEvent('Resumed', { reason: 'bench' }, metadata));
    }
    const [result] = await store.appendMany([
      { streamId, expectedVersion: version, events: batch },
    ]);
    version = result?.streamVersion ?? version;
    const elapsed = performance.now() - started;
    if (elapsed - shownAt >= 1_000 || version >= events - 1) {
      shownAt = elapsed;
      const rate = version / (elapsed / 1000);
      progress.update(
        `stream ${endpointId}: ${version.toLocaleString('en')} / ${events.toLocaleString('en')} events (${Math.round(rate).toLocaleString('en')}/s)`,
      );
    }
  }
  progress.done();
  return { version, ms: performance.now() - started };
}
