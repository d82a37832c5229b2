import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys look like `ork_<tenantId>.<keyId>.<secret>`. Only the SHA-256 of
 * the secret is stored (in ApiKeyCreated); the key is shown once. A fast hash
 * is right here: the secret is 32 random bytes, not a password to brute-force.
 */
export interface ParsedKey {
  readonly tenantId: string;
  readonly keyId: string;
  readonly secret: string;
}

export function generateApiKey(tenantId: string): {
  key: string;
  keyId: string;
  secretHash: string;
} {
  const keyId = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { key: `ork_${tenantId}.${keyId}.${secret}`, keyId, secretHash: hashSecret(secret) };
}

export const hashSecret = (secret: string): string =>
  createHash('sha256').update(secret).digest('hex');

export function parseApiKey(key: string): ParsedKey | null {
  const match = /^ork_([a-z0-9][a-z0-9-]{0,62})\.([0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/.exec(key);
  if (!match) return null;
  const [, tenantId, keyId, secret] = match;
  return tenantId && keyId && secret ? { tenantId, keyId, secret } : null;
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
