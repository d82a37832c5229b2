import crypto from 'node:crypto';
import type { TenantState } from '@orrery/domain';
import type { FastifyRequest } from 'fastify';
import { ProblemError } from '../problem.js';
import { parseApiKey, secretMatches } from './api-keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant of the request's API key; every read and write is scoped to it. */
    tenantId: string;
    /** The key that authenticated the request (the actor of the events it causes). */
    keyId: string;
  }
}

const bearer = (request: FastifyRequest): string | null => {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1] ?? null;
};

/** Where a tenant's state comes from: {@link TenantKeyCache} (memory, else the tenant's stream). */
export interface TenantSource {
  tenant(tenantId: string): Promise<TenantState>;
}

/**
 * Resolves `Authorization: Bearer ork_…` to a tenant: the presented secret's SHA-256 is compared
 * with the key's stored hash on every request; the tenant's state (its keys, revocations,
 * whether it is disabled) comes from `tenants` — kept in memory by {@link TenantKeyCache} and
 * dropped when the tenant's stream changes, so a key works the moment it is created and stops
 * the moment it is revoked or its tenant is disabled.
 *
 * A missing, malformed, unknown or revoked key is 401. A genuine key of a
 * disabled tenant is 403: the key is fine, the tenant may not act (rotating the
 * key would not help). Only a caller holding the key's secret learns that.
 */
export async function authenticate(tenants: TenantSource, request: FastifyRequest): Promise<void> {
  const token = bearer(request);
  if (!token)
    throw new ProblemError('unauthorized', 'send an API key: Authorization: Bearer <key>');
  const parsed = parseApiKey(token);
  if (!parsed) throw new ProblemError('unauthorized', 'the API key is malformed');
  const tenant = await tenants.tenant(parsed.tenantId);
  const key = tenant.keys[parsed.keyId];
  if (!tenant.exists || !key || !secretMatches(parsed.secret, key.secretHash)) {
    throw new ProblemError('unauthorized', 'the API key is not valid');
  }
  if (key.revoked) throw new ProblemError('unauthorized', 'the API key has been revoked');
  if (tenant.disabled) {
    throw new ProblemError(
      'forbidden',
      `tenant ${parsed.tenantId} is disabled: its API keys are refused until it is enabled again`,
    );
  }
  request.tenantId = parsed.tenantId;
  request.keyId = parsed.keyId;
}

/** `Authorization: Bearer <admin key>` for /v1/admin routes, compared in constant time. */
export function authenticateAdmin(adminKey: string | undefined, request: FastifyRequest): void {
  if (!adminKey)
    throw new ProblemError('forbidden', 'admin routes are disabled (set ORRERY_ADMIN_KEY)');
  const token = bearer(request);
  const a = Buffer.from(token ?? '');
  const b = Buffer.from(adminKey);
  if (!token || a.length !== b.length || !crypto.timingSafeEqual(a, b)) {
    throw new ProblemError('unauthorized', 'admin routes need the admin key');
  }
}
