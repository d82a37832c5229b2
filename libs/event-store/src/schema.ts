import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/**
 * The `events` table: the append-only log. `position` is `bigint` in SQL; the
 * store's pool parses int8 to a JS number (safe up to 2^53, checked on read).
 * `data` and `metadata` are jsonb: read as parsed JSON, written as JSON text.
 */
export interface EventsTable {
  position: Generated<number>;
  stream_id: string;
  stream_version: number;
  type: string;
  type_version: number;
  data: ColumnType<unknown, string, never>;
  metadata: ColumnType<unknown, string, never>;
  /** Copied from `metadata.tenantId` so tenant-scoped reads can use an index. */
  tenant_id: string;
  recorded_at: ColumnType<Date, string | undefined, never>;
  /** Unique when set: a request appended under a key already present appends nothing. */
  idempotency_key: ColumnType<string | null, string | null | undefined, never>;
}

/** Kysely database type of the event store. */
export interface EventStoreSchema {
  events: EventsTable;
}

export type EventRow = Selectable<EventsTable>;
export type NewEventRow = Insertable<EventsTable>;

/** Channel the store notifies (payload: the last appended position) after each append. */
export const EVENTS_CHANNEL = 'orrery_events';
/** Notified with the tenant's id when an event is appended to a tenant stream (migration 0005). */
export const TENANTS_CHANNEL = 'orrery_tenants';
