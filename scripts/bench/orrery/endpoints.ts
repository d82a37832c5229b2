import { endpointStream, makeEvent, toIso, type AppendRequest } from '@orrery/domain';
import { sql } from 'kysely';
import { waitUntil } from '../time.js';
import type { OrreryPipeline } from './pipeline.js';

/** Registers `count` interval endpoints with appendMany (500 per batch); endpoint i first runs at `firstRunAt(i)`. */
export async function registerEndpoints(
  pipeline: OrreryPipeline,
  targetUrl: string,
  count: number,
  everyMs: number,
  firstRunAt: (i: number) => number,
  signal: AbortSignal,
): Promise<void> {
  const metadata = { tenantId: 'bench', actor: { kind: 'system' as const, id: 'bench' } };
  for (let from = 0; from < count && !signal.aborted; from += 500) {
    const requests: AppendRequest[] = [];
    for (let i = from; i < Math.min(from + 500, count); i += 1) {
      const endpointId = `b${i}`;
      requests.push({
        streamId: endpointStream('bench', endpointId),
        expectedVersion: 0,
        events: [
          makeEvent(
            'EndpointRegistered',
            {
              endpointId,
              jobId: 'bench',
              tenantId: 'bench',
              config: {
                name: `bench ${i}`,
                request: { url: `${targetUrl}/e/${i}` },
                baseline: { kind: 'interval', everyMs },
              },
              registeredAt: toIso(firstRunAt(i)),
            },
            metadata,
          ),
        ],
      });
    }
    await pipeline.runtime.store.appendMany(requests);
  }
  const projected = await waitUntil(
    async () => {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from schedule /* bench */`.execute(pipeline.runtime.db);
      return (rows[0]?.n ?? 0) >= count;
    },
    { timeoutMs: 60_000, everyMs: 100, signal },
  );
  if (!projected && !signal.aborted) {
    throw new Error(`the projection did not build ${count} schedule rows within 60 s`);
  }
}
