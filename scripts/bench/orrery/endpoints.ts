import { endpointStream, makeEvent, toIso, type AppendRequest } from '@orrery/domain';
import type { Runtime } from '@orrery/scheduling';
import { sql } from 'kysely';
import type { BenchConfig } from '../config.js';
import { waitUntil } from '../time.js';

/** Where endpoints are registered and their schedule rows awaited: a runtime's, or a bench's own connections. */
export type LogAndReadModels = Pick<Runtime, 'store' | 'db'>;

/** Registers `count` interval endpoints with appendMany (500 per batch); endpoint i first runs at `firstRunAt(i)`. */
export async function registerEndpoints(
  target: LogAndReadModels,
  targetUrl: string,
  count: number,
  everyMs: number,
  firstRunAt: (i: number) => number,
  signal: AbortSignal,
  {
    prefix = 'b',
    onAppended,
    timeoutMs = 60_000,
  }: {
    /** Endpoint ids are `<prefix><i>`: another prefix registers more endpoints beside these. */
    readonly prefix?: string;
    /** Called when every registration is appended, before waiting for the projection. */
    readonly onAppended?: () => Promise<void>;
    /** How long the projection may take to build the schedule rows. */
    readonly timeoutMs?: number;
  } = {},
): Promise<void> {
  const metadata = { tenantId: 'bench', actor: { kind: 'system' as const, id: 'bench' } };
  for (let from = 0; from < count && !signal.aborted; from += 500) {
    const requests: AppendRequest[] = [];
    for (let i = from; i < Math.min(from + 500, count); i += 1) {
      const endpointId = `${prefix}${i}`;
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
    await target.store.appendMany(requests);
  }
  await onAppended?.();
  const projected = await waitUntil(
    async () => {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from schedule /* bench */
        where endpoint_id like ${`${prefix}%`}`.execute(target.db);
      return (rows[0]?.n ?? 0) >= count;
    },
    { timeoutMs, everyMs: 100, signal },
  );
  if (!projected && !signal.aborted) {
    throw new Error(
      `the projection did not build ${count} schedule rows within ${timeoutMs / 1000} s`,
    );
  }
}

/** Registers `rate` runs/s: endpoints every `latenessEveryMs`, first slots spread over one interval from 2 s on. */
export async function offerRate(
  cfg: Pick<BenchConfig, 'rate' | 'latenessEveryMs'>,
  models: LogAndReadModels,
  targetUrl: string,
  signal: AbortSignal,
): Promise<{ everyMs: number; endpoints: number; firstSlot: number }> {
  const everyMs = cfg.latenessEveryMs;
  const endpoints = Math.max(1, Math.round((cfg.rate * everyMs) / 1000));
  const firstSlot = Date.now() + 2_000;
  await registerEndpoints(
    models,
    targetUrl,
    endpoints,
    everyMs,
    (i) => firstSlot + Math.floor((i * everyMs) / endpoints),
    signal,
  );
  return { everyMs, endpoints, firstSlot };
}
