import {
  foldWith,
  parseEvent,
  placeEvent,
  tenantDecider,
  tenantStream,
  toIso,
  type EventStore,
  type RecordedEvent,
  type TenantState,
} from '@orrery/domain';
import type { EventStoreSchema } from '@orrery/event-store';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { ProblemError } from '../problem.js';
import { encodeCursor, pageAfter } from '../schemas/common.js';
import type { TenantDetailView, TenantSummaryView } from '../schemas/tenants.js';

export const tenantSummary = (state: TenantState): TenantSummaryView => ({
  id: state.tenantId,
  name: state.name,
  status: state.disabled ? 'disabled' : 'active',
  createdAt: toIso(state.createdAt),
});

/** A tenant as the admin sees it: its keys by id and name, never a hash. */
export const tenantDetail = (state: TenantState): TenantDetailView => ({
  ...tenantSummary(state),
  disabled: state.disabled && {
    reason: state.disabled.reason,
    actor: { kind: state.disabled.actor.kind, id: state.disabled.actor.id },
    since: toIso(state.disabled.since),
  },
  keys: Object.values(state.keys).map((key) => ({
    id: key.keyId,
    name: key.name,
    createdAt: toIso(key.createdAt),
    revoked: key.revoked,
    revokedAt: key.revokedAt === null ? null : toIso(key.revokedAt),
  })),
});

/** A tenant folded from its stream (the log, so it never lags a write); 404 when there is none. */
export async function readTenant(store: EventStore, tenantId: string): Promise<TenantState> {
  const state = foldWith(tenantDecider, await store.readStream(tenantStream(tenantId)));
  if (!state.exists) throw new ProblemError('not_found', `tenant ${tenantId} not found`);
  return state;
}

/** A page's cursor (built once, not per request). */
const TenantCursor = z.number().int().nonnegative();

/**
 * A page of tenants in creation order, read from the log: the page's TenantCreated events
 * (through the index on `type`), then the streams of those tenants in one query, folded. A page
 * costs two queries whatever the size of the log; tenant streams hold a handful of events each.
 */
export async function listTenants(
  events: Kysely<EventStoreSchema>,
  query: { limit: number; cursor?: string | undefined },
): Promise<{ items: TenantSummaryView[]; nextCursor: string | null }> {
  const after = pageAfter(query.cursor, TenantCursor);
  let created = events
    .selectFrom('events')
    .select(['stream_id', 'position'])
    .where('type', '=', 'TenantCreated')
    .orderBy('position')
    .limit(query.limit + 1);
  if (after !== undefined) created = created.where('position', '>', after);
  const rows = await created.execute();
  const page = rows.slice(0, query.limit);
  const streams = await readStreams(
    events,
    page.map((row) => row.stream_id),
  );
  const last = page.at(-1);
  return {
    items: page.map((row) =>
      tenantSummary(foldWith(tenantDecider, streams.get(row.stream_id) ?? [])),
    ),
    nextCursor: rows.length > query.limit && last ? encodeCursor(last.position) : null,
  };
}

/** The events of some streams, by stream, in stream order. */
async function readStreams(
  events: Kysely<EventStoreSchema>,
  streamIds: readonly string[],
): Promise<Map<string, RecordedEvent[]>> {
  const byStream = new Map<string, RecordedEvent[]>();
  if (streamIds.length === 0) return byStream;
  const rows = await events
    .selectFrom('events')
    .selectAll()
    .where('stream_id', 'in', streamIds)
    .orderBy('stream_id')
    .orderBy('stream_version')
    .execute();
  for (const row of rows) {
    const parsed = parseEvent({ ...row, version: row.type_version });
    if (!parsed.ok) throw new Error(`event ${row.position}: ${parsed.error.message}`);
    const event = placeEvent(parsed.value, {
      position: row.position,
      streamId: row.stream_id,
      streamVersion: row.stream_version,
      recordedAt: row.recorded_at.toISOString(),
    });
    const stream = byStream.get(row.stream_id);
    if (stream) stream.push(event);
    else byStream.set(row.stream_id, [event]);
  }
  return byStream;
}
