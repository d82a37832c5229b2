import type { RecordedEvent } from '@orrery/domain';
import type { EventStoreSchema } from '@orrery/event-store';
import { sql, type Kysely } from 'kysely';
import { readEventsAt, selectEvents, type EventFilter } from './events.js';

/** Default bound on the event JSON of one page: 1 MiB. */
export const DEFAULT_EVENT_PAGE_BYTES = 1024 * 1024;

/**
 * What an event adds to a page beyond its data and metadata: the field names,
 * position, version and timestamp (about 130 bytes), defaults the catalogue
 * fills in on reading, and a redacted secret that reads longer than it was.
 */
const EVENT_OVERHEAD_BYTES = 200;
/** `{"items":[…],"nextCursor":"…"}` around the events. */
const ENVELOPE_BYTES = 64;

export interface EventPage {
  /** Ascending by position. */
  readonly events: readonly RecordedEvent[];
  /** Whether more matching events follow the last one (the page was cut by count or bytes). */
  readonly more: boolean;
}

/**
 * One page of the tenant's events matching `filter` after the cursor `after`:
 * at most `limit` events whose JSON stays within `maxBytes`, except that a
 * page always holds at least one event (a single larger event comes alone;
 * the executor's response cap bounds it when it is recorded).
 *
 * Sizes are decided before any event is read: Postgres measures each
 * candidate's stored JSON (`jsonb` text, which is never shorter than the
 * JSON the API sends), and only the events that fit are fetched. A page of
 * large bodies thus costs the API its bound, not `limit` full rows.
 */
export async function readEventPage(
  db: Kysely<EventStoreSchema>,
  filter: EventFilter,
  { after, limit, maxBytes }: { after?: number | undefined; limit: number; maxBytes: number },
): Promise<EventPage> {
  const candidates = await selectEvents(db, filter, after)
    .select([
      'position',
      sql<number>`octet_length(data::text) + octet_length(metadata::text)
        + octet_length(stream_id) + octet_length(type)`.as('bytes'),
    ])
    .orderBy('position')
    .limit(limit + 1)
    .execute();
  const budget = maxBytes - ENVELOPE_BYTES;
  const positions: number[] = [];
  let total = 0;
  for (const { position, bytes } of candidates) {
    const size = bytes + EVENT_OVERHEAD_BYTES;
    if (positions.length === limit || (positions.length > 0 && total + size > budget)) break;
    positions.push(position);
    total += size;
  }
  return {
    events: await readEventsAt(db, filter.tenantId, positions),
    more: candidates.length > positions.length,
  };
}
