import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EndpointConfig } from '@orrery/domain';

const PREFIX = 'enc:v1:';
/** What API answers, events shown to people, and logs show instead of a secret. */
export const REDACTED = '***';

/**
 * Encrypts and decrypts secret header values at rest with AES-256-GCM.
 * Sealed values look like `enc:v1:<iv>.<tag>.<ciphertext>` (base64url).
 *
 * @example
 * const box = SecretBox.fromBase64(process.env.ORRERY_SECRET_KEY);
 * const sealed = box.seal('Bearer abc'); box.open(sealed) === 'Bearer abc';
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** A key is 32 random bytes, base64-encoded (e.g. `openssl rand -base64 32`). */
  static fromBase64(encoded: string, variable = 'ORRERY_SECRET_KEY'): SecretBox {
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== 32)
      throw new Error(`${variable} must be 32 bytes, base64-encoded (got ${key.length} bytes)`);
    return new SecretBox(key);
  }

  static generateKey(): string {
    return randomBytes(32).toString('base64');
  }

  static isSealed(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url'));
    return `${PREFIX}${parts.join('.')}`;
  }

  open(sealed: string): string {
    if (!SecretBox.isSealed(sealed)) throw new Error('not a sealed value');
    const [iv, tag, data] = sealed
      .slice(PREFIX.length)
      .split('.')
      .map((p) => Buffer.from(p, 'base64url'));
    if (!iv || !tag || !data) throw new Error('malformed sealed value');
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
  }
}

type Headers = EndpointConfig['request']['headers'];

/** Seals every secret header value that is not sealed yet (what goes into events). */
export function sealHeaders(box: SecretBox, headers: Headers): Headers {
  return Object.fromEntries(
    Object.entries(headers).map(([name, h]) => [
      name,
      h.secret && !SecretBox.isSealed(h.value) ? { ...h, value: box.seal(h.value) } : h,
    ]),
  );
}

/** Replaces secret header values with "***" (what API answers show). */
export function redactHeaders(headers: Headers): Headers {
  return Object.fromEntries(
    Object.entries(headers).map(([name, h]) => [name, h.secret ? { ...h, value: REDACTED } : h]),
  );
}

/** The plain header values to send (executor side). */
export function openHeaders(box: SecretBox | null, headers: Headers): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, h]) => {
      if (!SecretBox.isSealed(h.value)) return [name, h.value];
      if (!box)
        throw new Error(
          `header ${name} is sealed but no secret key is configured (ORRERY_SECRET_KEY)`,
        );
      return [name, box.open(h.value)];
    }),
  );
}
