import type { EventMetadata } from '@orrery/domain';
import type { FastifyRequest } from 'fastify';

/** Event metadata for a command made through the API: the tenant, the key as actor, the request id. */
export const actor = (request: FastifyRequest): EventMetadata => ({
  tenantId: request.tenantId,
  actor: { kind: 'user', id: `key:${request.keyId}` },
  correlationId: String(request.id),
});
