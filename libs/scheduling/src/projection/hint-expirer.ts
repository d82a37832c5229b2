import {
  decide,
  endpointStream,
  evolve,
  type DomainEvent,
  type EndpointState,
  type EventStore,
  type HintSlot,
} from '@orrery/domain';
import type { Logger } from 'pino';
import { HINTS_CHANNEL, type SchedulingDb } from '../db.js';
import { WakeLoop } from '../wake-loop.js';

export interface HintExpirerOptions {
  readonly db: SchedulingDb;
  readonly store: EventStore;
  readonly log: Logger;
  readonly connectionString: string;
  readonly now?: () => number;
  /** Longest sleep when nothing is due. Default 30 s. */
  readonly maxSleepMs?: number;
}

const SLOTS: readonly HintSlot[] = ['interval', 'oneShot'];

/**
 * Appends HintExpired for hints whose TTL has passed, at the moment it
 * passes. The governor already ignores an expired hint; the event records that
 * it lapsed and lets the projection move the due time (a lapsed slow-down hint
 * makes the next run earlier).
 */
export class HintExpirer {
  readonly #loop: WakeLoop;
  readonly #now: () => number;

  constructor(private readonly options: HintExpirerOptions) {
    this.#now = options.now ?? Date.now;
    this.#loop = new WakeLoop({
      name: 'hint-expirer',
      log: options.log,
      listenTo: { connectionString: options.connectionString, channel: HINTS_CHANNEL },
      tick: () => this.tick(),
    });
  }

  start = () => this.#loop.start();
  stop = () => this.#loop.stop();

  /** Expires what is due; returns ms until the next expiry (capped). */
  async tick(): Promise<number> {
    const now = this.#now();
    const due = await this.options.db
      .selectFrom('schedule')
      .select(['endpoint_id', 'tenant_id', 'state', 'stream_version'])
      .where('hint_expires_at', '<=', new Date(now))
      .orderBy('hint_expires_at')
      .limit(200)
      .execute();
    const requests = due.flatMap((row) => {
      const events = expiredHints(row.state as EndpointState, row.tenant_id, now);
      return events.length === 0
        ? []
        : [
            {
              streamId: endpointStream(row.tenant_id, row.endpoint_id),
              expectedVersion: row.stream_version,
              events,
            },
          ];
    });
    if (requests.length > 0) {
      const outcomes = await this.options.store.appendEach(requests);
      const appended = outcomes.filter((o) => !(o instanceof Error)).length;
      this.options.log.debug({ appended, stale: outcomes.length - appended }, 'hints expired');
      // The projection applies them and notifies; until then the rows still look due.
      return 1000;
    }
    const next = await this.options.db
      .selectFrom('schedule')
      .select((eb) => eb.fn.min('hint_expires_at').as('at'))
      .where('hint_expires_at', '>', new Date(now))
      .executeTakeFirst();
    const at = next?.at ? new Date(next.at).getTime() : Number.POSITIVE_INFINITY;
    return Math.min(at - this.#now(), this.options.maxSleepMs ?? 30_000);
  }
}

/** HintExpired events for every slot whose hint has lapsed at `now`. */
export function expiredHints(state: EndpointState, tenantId: string, now: number): DomainEvent[] {
  const metadata = { tenantId, actor: { kind: 'system' as const, id: 'hint-expirer' } };
  const events: DomainEvent[] = [];
  let current = state;
  for (const slot of SLOTS) {
    const result = decide({ type: 'ExpireHint', slot }, current, { now, metadata });
    if (!result.ok) continue; // still live
    for (const event of result.value) {
      events.push(event);
      current = evolve(current, event);
    }
  }
  return events;
}
