import { describe, expect, it } from 'vitest';
import { openHeaders, redactHeaders, sealHeaders, SecretBox } from './secret-box.js';

const box = SecretBox.fromBase64(SecretBox.generateKey());

describe('SecretBox', () => {
  it('round-trips a value and never shows the plaintext in the sealed form', () => {
    const sealed = box.seal('Bearer s3cr3t');
    expect(sealed).toMatch(/^enc:v1:/);
    expect(sealed).not.toContain('s3cr3t');
    expect(box.open(sealed)).toBe('Bearer s3cr3t');
    expect(box.seal('x')).not.toBe(box.seal('x')); // a fresh IV each time
  });

  it('refuses a tampered value and a key of the wrong size', () => {
    const sealed = box.seal('value');
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(() => box.open(tampered)).toThrow();
    expect(() => SecretBox.fromBase64(SecretBox.generateKey()).open(sealed)).toThrow();
    expect(() => SecretBox.fromBase64('c2hvcnQ=')).toThrow(/ORRERY_SECRET_KEY must be 32 bytes/);
  });

  it('seals only secret headers, once; redacts them for display; opens them for the call', () => {
    const headers = {
      authorization: { value: 'Bearer t', secret: true },
      accept: { value: 'application/json', secret: false },
    };
    const sealed = sealHeaders(box, headers);
    expect(sealed.accept).toEqual(headers.accept);
    expect(SecretBox.isSealed(sealed.authorization?.value ?? '')).toBe(true);
    expect(sealHeaders(box, sealed)).toEqual(sealed);
    expect(redactHeaders(sealed).authorization?.value).toBe('***');
    expect(openHeaders(box, sealed)).toEqual({
      authorization: 'Bearer t',
      accept: 'application/json',
    });
    expect(() => openHeaders(null, sealed)).toThrow(/ORRERY_SECRET_KEY/);
  });
});
