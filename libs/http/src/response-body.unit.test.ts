import { Readable } from 'node:stream';
import { describe, it, expect } from 'vitest';
import { decodeBody, pickHeaders, readCapped } from './response-body.js';

describe('response body', () => {
  it('keeps only the recorded header subset, lower-cased and joined', () => {
    const picked = pickHeaders({
      'Content-Type': 'application/json',
      'retry-after': '30',
      'x-ratelimit-remaining': '9',
      'ratelimit-reset': '12',
      etag: ['"a"', '"b"'],
      'set-cookie': ['secret=1'],
      authorization: 'Bearer x',
      server: 'nginx',
    });
    expect(picked).toEqual({
      'content-type': 'application/json',
      'retry-after': '30',
      'x-ratelimit-remaining': '9',
      'ratelimit-reset': '12',
      etag: '"a", "b"',
    });
  });

  it('reads up to the cap and marks the rest as truncated', async () => {
    const chunks = [Buffer.from('abcd'), Buffer.from('efgh'), Buffer.from('ijkl')];
    const body = await readCapped(Readable.from(chunks), 6);
    expect(body).toEqual({ bytes: Buffer.from('abcdef'), truncated: true });
    const exact = await readCapped(Readable.from(chunks), 12);
    expect(exact).toEqual({ bytes: Buffer.from('abcdefghijkl'), truncated: false });
  });

  it('parses complete JSON, returns truncated JSON as text, and empty as null', () => {
    const json = 'application/json; charset=utf-8';
    expect(decodeBody({ bytes: Buffer.from('{"a":1}'), truncated: false }, json)).toEqual({ a: 1 });
    expect(
      decodeBody({ bytes: Buffer.from('[1,2]'), truncated: false }, 'application/problem+json'),
    ).toEqual([1, 2]);
    expect(decodeBody({ bytes: Buffer.from('{"a":'), truncated: true }, json)).toBe('{"a":');
    expect(decodeBody({ bytes: Buffer.from('not json'), truncated: false }, json)).toBe('not json');
    expect(decodeBody({ bytes: Buffer.from('{"a":1}'), truncated: false }, 'text/plain')).toBe(
      '{"a":1}',
    );
    expect(decodeBody({ bytes: Buffer.alloc(0), truncated: false }, json)).toBeNull();
  });

  it('drops a multi-byte character cut by the cap instead of mangling it', () => {
    const euro = Buffer.from('ab€'); // € is 3 bytes
    expect(decodeBody({ bytes: euro.subarray(0, 4), truncated: true }, 'text/plain')).toBe('ab');
  });
});
