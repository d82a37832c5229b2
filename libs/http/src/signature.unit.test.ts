import { createHmac } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { sign, signatureHeader, verifySignature } from './signature.js';

const secret = 'whsec_test';
const url = 'https://api.example/hooks/sync?x=1';
const t = 1_700_000_000;

describe('request signature', () => {
  it('is the hex HMAC-SHA256 of "<t>.<METHOD>.<url>.<body>"', () => {
    const expected = createHmac('sha256', secret).update(`${t}.POST.${url}.{"a":1}`).digest('hex');
    expect(sign(secret, t, 'post', url, '{"a":1}')).toBe(expected);
    expect(sign(secret, t, 'GET', url, undefined)).toBe(sign(secret, t, 'GET', url, ''));
  });

  it('verifies its own header within the tolerance', () => {
    const header = signatureHeader(secret, t, 'POST', url, 'body');
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    const input = { secret, header, method: 'POST', url, body: 'body', nowSec: t + 299 };
    expect(verifySignature(input)).toEqual({ valid: true, timestampSec: t });
  });

  it('refuses a changed body, method, url or secret, a stale timestamp and garbage', () => {
    const header = signatureHeader(secret, t, 'POST', url, 'body');
    const base = { secret, header, method: 'POST', url, body: 'body', nowSec: t };
    const mismatch = { valid: false, reason: 'mismatch' };
    expect(verifySignature({ ...base, body: 'body2' })).toEqual(mismatch);
    expect(verifySignature({ ...base, method: 'PUT' })).toEqual(mismatch);
    expect(verifySignature({ ...base, url: `${url}&y=2` })).toEqual(mismatch);
    expect(verifySignature({ ...base, secret: 'other' })).toEqual(mismatch);
    expect(verifySignature({ ...base, nowSec: t + 301 })).toEqual({
      valid: false,
      reason: 'stale',
    });
    expect(verifySignature({ ...base, nowSec: t - 10, toleranceSec: 5 })).toMatchObject({
      valid: false,
      reason: 'stale',
    });
    for (const bad of [undefined, '', 'v1=abc', `t=${t},v1=zz`]) {
      expect(verifySignature({ ...base, header: bad })).toEqual({
        valid: false,
        reason: 'malformed',
      });
    }
  });
});
