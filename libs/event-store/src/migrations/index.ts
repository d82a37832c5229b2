import type { Migration } from 'kysely';
import { eventsTable } from './0001-events.js';
import { idempotencyKeys } from './0002-idempotency-keys.js';
import { serviceRole } from './0003-service-role.js';
import { streamScopedIdempotency } from './0004-stream-scoped-idempotency.js';
import { tenantNotify } from './0005-tenant-notify.js';
import { jobEndpointsIndex } from './0006-job-endpoints-index.js';
import { logTimeOrder } from './0007-log-time-order.js';
import { rareTypeIndex } from './0008-rare-type-index.js';
import { streamEstimate } from './0009-stream-estimate.js';

/** The event store's migrations, applied in name order. Never edit one that has shipped. */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001_events': eventsTable,
  '0002_idempotency_keys': idempotencyKeys,
  '0003_service_role': serviceRole,
  '0004_stream_scoped_idempotency': streamScopedIdempotency,
  '0005_tenant_notify': tenantNotify,
  '0006_job_endpoints_index': jobEndpointsIndex,
  '0007_log_time_order': logTimeOrder,
  '0008_rare_type_index': rareTypeIndex,
  '0009_stream_estimate': streamEstimate,
};
