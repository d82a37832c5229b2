import { tenantIdOf, fromIso, type RecordedEvent, type TenantHold } from '@orrery/domain';
import type { Transaction } from 'kysely';
import type { SchedulingSchema } from '../read-model/schema.js';
import type { TenantStatus } from './holds-source.js';

type Trx = Transaction<SchedulingSchema>;

/** Whether the projection needs an event of a tenant stream: only its status changes. */
export const isTenantStatusEvent = (event: RecordedEvent): boolean =>
  tenantIdOf(event.streamId) !== null &&
  (event.type === 'TenantDisabled' || event.type === 'TenantEnabled');

export async function loadTenantStatus(
  trx: Trx,
  tenantIds: readonly string[],
): Promise<Map<string, TenantStatus>> {
  if (tenantIds.length === 0) return new Map();
  const rows = await trx
    .selectFrom('tenant_holds')
    .selectAll()
    .where('tenant_id', 'in', [...tenantIds])
    .execute();
  return new Map(
    rows.map((row) => [
      row.tenant_id,
      {
        hold: { tenantId: row.tenant_id, disabled: row.disabled as TenantHold['disabled'] },
        changedAt: new Date(row.changed_at).getTime(),
      },
    ]),
  );
}

/** Applies the batch's TenantDisabled / TenantEnabled to `statuses`; returns the tenants changed. */
export function foldTenantStatus(
  statuses: Map<string, TenantStatus>,
  events: readonly RecordedEvent[],
): Set<string> {
  const changed = new Set<string>();
  for (const event of events) {
    const tenantId = tenantIdOf(event.streamId);
    if (tenantId === null) continue;
    const changedAt = fromIso(event.recordedAt);
    if (event.type === 'TenantDisabled') {
      const disabled = { reason: event.data.reason, actor: event.metadata.actor };
      statuses.set(tenantId, { hold: { tenantId, disabled }, changedAt });
      changed.add(tenantId);
    } else if (event.type === 'TenantEnabled') {
      statuses.set(tenantId, { hold: { tenantId, disabled: null }, changedAt });
      changed.add(tenantId);
    }
  }
  return changed;
}

export async function writeTenantStatus(
  trx: Trx,
  statuses: ReadonlyMap<string, TenantStatus>,
  changed: ReadonlySet<string>,
): Promise<void> {
  const rows = [...changed].flatMap((tenantId) => {
    const status = statuses.get(tenantId);
    return status
      ? [
          {
            tenant_id: tenantId,
            disabled: status.hold.disabled === null ? null : JSON.stringify(status.hold.disabled),
            changed_at: new Date(status.changedAt),
          },
        ]
      : [];
  });
  if (rows.length === 0) return;
  await trx
    .insertInto('tenant_holds')
    .values(rows)
    .onConflict((oc) =>
      oc.column('tenant_id').doUpdateSet((eb) => ({
        disabled: eb.ref('excluded.disabled'),
        changed_at: eb.ref('excluded.changed_at'),
      })),
    )
    .execute();
}
