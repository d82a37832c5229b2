import { handleCommand } from '@orrery/event-store';
import {
  endpointDecider,
  parseEndpointStream,
  type EventStore,
  type EventType,
  type HintSlot,
  type Millis,
  type RecordedEvent,
} from '@orrery/domain';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { SchedulingDb } from '../db.js';
import { AppendBatcher } from '../executor/append-batcher.js';
import { endpointSnapshot } from '../read-model/snapshots.js';
import type { Processor, ProcessorContext } from './processor.js';

/** A hint's beginning, and the events that may end it. */
const HINT_EVENTS = [
  'HintProposed',
  'HintSuperseded',
  'HintExpired',
  'HintsCleared',
  'RunDispatched',
  'EndpointArchived',
] as const satisfies readonly EventType[];
const IS_HINT_EVENT = new Set<string>(HINT_EVENTS);

/**
 * Records `HintExpired` the moment a hint's TTL passes. The governor already ignores an expired
 * hint; the event records that it lapsed (the hint's outcome) and lets the projection move the
 * due time (a lapsed slow-down makes the next run earlier).
 *
 * A processor: it learns the live hints from the log (`HintProposed` adds one to
 * `hint_expiries`; the hint's other outcomes — superseded, cleared, spent by its run, expired —
 * remove it), in the same transaction as its checkpoint, and its host wakes it when the earliest
 * expiry is due. The expiry goes through the command handler under the key `expired:<hintId>`,
 * derived from the hint it ends, so a retry or a takeover never records it twice.
 */
export class HintExpiryProcessor implements Processor {
  readonly name = 'hint-expiry';
  /** Expiries due together leave in a few appends (group commit), not one append each. */
  readonly #batcher: AppendBatcher;

  constructor(private readonly deps: { db: SchedulingDb; store: EventStore; now?: () => Millis }) {
    this.#batcher = new AppendBatcher(deps.store);
  }

  readonly types = HINT_EVENTS;
  readonly wants = (event: RecordedEvent): boolean =>
    IS_HINT_EVENT.has(event.type) && parseEndpointStream(event.streamId) !== null;

  async handle(events: readonly RecordedEvent[], ctx: ProcessorContext): Promise<void> {
    await this.deps.db.transaction().execute(async (trx) => {
      for (const event of events) {
        const stream = event.streamId;
        switch (event.type) {
          case 'HintProposed':
            await sql`insert into hint_expiries (stream_id, hint_id, tenant_id, slot, expires_at)
              values (${stream}, ${event.data.hintId}, ${event.metadata.tenantId},
                ${event.data.slot}, ${event.data.expiresAt})
              on conflict do nothing`.execute(trx);
            break;
          case 'HintSuperseded':
          case 'HintExpired':
            await this.#forget(trx, stream, [event.data.hintId]);
            break;
          case 'HintsCleared':
            await trx
              .deleteFrom('hint_expiries')
              .where('stream_id', '=', stream)
              .where('slot', 'in', [...event.data.slots])
              .execute();
            break;
          case 'RunDispatched':
            if (event.data.hintId !== undefined) {
              await this.#forget(trx, stream, [event.data.hintId]);
            }
            break;
          case 'EndpointArchived':
            await trx.deleteFrom('hint_expiries').where('stream_id', '=', stream).execute();
            break;
          default:
            break;
        }
      }
      await ctx.fence(trx);
    });
  }

  async #forget(trx: SchedulingDb, stream: string, hintIds: string[]): Promise<void> {
    await trx
      .deleteFrom('hint_expiries')
      .where('stream_id', '=', stream)
      .where('hint_id', 'in', hintIds)
      .execute();
  }

  /** Expires the hints whose TTL has passed; returns when the next one does. */
  async due(now: Millis, { log }: { log: Logger }): Promise<Millis | null> {
    const { db, store } = this.deps;
    const due = await db
      .selectFrom('hint_expiries')
      .selectAll()
      .where('expires_at', '<=', new Date(now))
      .orderBy('expires_at')
      .limit(500)
      .execute();
    await Promise.all(
      due.map(async (row) => {
        const ref = parseEndpointStream(row.stream_id);
        const result = await handleCommand(
          store,
          endpointDecider,
          row.stream_id,
          { type: 'ExpireHint', slot: row.slot as HintSlot, hintId: row.hint_id },
          {
            now: () => now,
            metadata: { tenantId: row.tenant_id, actor: { kind: 'system', id: 'hint-expiry' } },
            idempotencyKey: `expired:${row.hint_id}`,
            append: (request) => this.#batcher.append(request),
            ...(ref ? { snapshot: () => endpointSnapshot(db, ref.tenantId, ref.id) } : {}),
          },
        );
        if (!result.ok) log.warn({ hint: row.hint_id, error: result.error }, 'hint not expired');
        await this.#forget(db, row.stream_id, [row.hint_id]);
      }),
    );
    if (due.length === 500) return now;
    const next = await db
      .selectFrom('hint_expiries')
      .select((eb) => eb.fn.min('expires_at').as('at'))
      .executeTakeFirst();
    return next?.at ? new Date(next.at).getTime() : null;
  }
}
