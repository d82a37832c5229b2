import { holdsOf, type Holds, type JobState, type Millis, type TenantHold } from '@orrery/domain';

/** A tenant's status as the projection keeps it, and when it last changed. */
export interface TenantStatus {
  readonly hold: TenantHold;
  readonly changedAt: Millis;
}

/** Where the projection finds an endpoint's job and tenant, for its holds. */
export interface HoldsSource {
  job(tenantId: string, jobId: string): JobState | null;
  tenant(tenantId: string): TenantStatus | null;
}

/**
 * The holds on an endpoint and the time its row is computed as of: the later of its own last
 * event and its job's and tenant's last changes, so a row is a pure function of the log
 * whichever of the streams moved last (a rebuild equals the live state).
 */
export function holdsFor(
  source: HoldsSource,
  endpoint: { tenantId: string; jobId: string },
  ownAsOf: Millis,
): { holds: Holds; asOf: Millis } {
  const job = source.job(endpoint.tenantId, endpoint.jobId);
  const tenant = source.tenant(endpoint.tenantId);
  return {
    holds: holdsOf(job, tenant?.hold ?? null),
    asOf: Math.max(ownAsOf, job?.updatedAt ?? 0, tenant?.changedAt ?? 0),
  };
}
