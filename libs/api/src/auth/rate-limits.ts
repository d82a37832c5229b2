import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ProblemError } from '../problem.js';
import { RetryLater, type AuthFailureBudget } from './failure-budget.js';

/** The client's address; IPv6 clients are grouped by /64, the block one host usually holds. */
export const clientAddress = (request: FastifyRequest): string => normalizeIP(request.ip);

/**
 * Limits each API key to `perMinute` requests per minute, and each client
 * address likewise on routes without a key (health, docs). The bucket is the
 * authenticated (tenant, key id), so every spelling of one key's
 * `Authorization` header shares it. Answers over the limit are 429 problem
 * JSON with `Retry-After`; the `x-ratelimit-*` headers carry only the
 * caller's own counters.
 */
export async function registerRateLimit(app: FastifyInstance, perMinute: number): Promise<void> {
  // Empty until `authenticate` sets them (declared with it), so the key is known to be absent.
  app.decorateRequest('tenantId', '');
  app.decorateRequest('keyId', '');
  const scope = (request: FastifyRequest) => (request.tenantId ? 'API key' : 'client address');
  await app.register(rateLimit, {
    // preParsing runs after every onRequest hook: /v1 requests are authenticated by then,
    // and a request that failed authentication never reaches it (the failure budget
    // limits those). The body of a refused request is never read.
    hook: 'preParsing',
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: (request) =>
      request.tenantId
        ? `key:${request.tenantId}.${request.keyId}`
        : `address:${clientAddress(request)}`,
    errorResponseBuilder: (request, { max, ttl }) =>
      new ProblemError(
        'rate_limited',
        `rate limit exceeded: at most ${max} requests per minute per ${scope(request)}; ` +
          `retry after ${Math.max(1, Math.ceil(ttl / 1000))} s`,
      ),
  });
}

/**
 * Runs `authenticate` within the client address's failure budget (an
 * onRequest hook's body): an address that failed too often this minute is
 * answered 429 with `Retry-After` before its key is looked at.
 */
export async function authenticateWithinBudget(
  budget: AuthFailureBudget,
  request: FastifyRequest,
  reply: FastifyReply,
  authenticate: () => Promise<void> | void,
): Promise<void> {
  try {
    await budget.guard(clientAddress(request), authenticate);
  } catch (error) {
    if (error instanceof RetryLater) reply.header('retry-after', error.retryAfterSeconds);
    throw error;
  }
}
