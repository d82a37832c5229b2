import { differingPaths, type EventOf, type RecordedEvent } from '@orrery/domain';
import type { EventStoreSchema } from '@orrery/event-store';
import type { Kysely } from 'kysely';
import { readEventsAt } from './events.js';

type Reconfigured = EventOf<'EndpointReconfigured'> & RecordedEvent;

/**
 * What a reconfiguration changed: the config's dotted paths that differ from the endpoint's
 * previous config (its registration or the reconfiguration before), e.g. `["jitterMs"]`.
 * Paths only, never values (header values may be secret). Null when no earlier config is
 * found (the log was truncated).
 */
export async function configChanges(
  db: Kysely<EventStoreSchema>,
  tenantId: string,
  event: Reconfigured,
): Promise<string[] | null> {
  const row = await db
    .selectFrom('events')
    .select('position')
    .where('tenant_id', '=', tenantId)
    .where('stream_id', '=', event.streamId)
    .where('type', 'in', ['EndpointRegistered', 'EndpointReconfigured'])
    .where('stream_version', '<', event.streamVersion)
    .orderBy('stream_version', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return null;
  const [previous] = await readEventsAt(db, tenantId, [row.position]);
  if (previous?.type !== 'EndpointRegistered' && previous?.type !== 'EndpointReconfigured') {
    return null;
  }
  return differingPaths(previous.data.config, event.data.config);
}
