import { describe, it, expect } from 'vitest';
import { checkAddress } from './address-policy.js';
import { classifyError } from './classify-error.js';
import { AddressRefusedError } from './guarded-connect.js';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('classifyError', () => {
  it.each([
    ['connection refused', coded('ECONNREFUSED'), 'network'],
    ['DNS failure', coded('ENOTFOUND', 'getaddrinfo ENOTFOUND x.invalid'), 'network'],
    ['DNS temporary failure', coded('EAI_AGAIN'), 'network'],
    ['reset during body', coded('UND_ERR_SOCKET', 'other side closed'), 'network'],
    ['invalid HTTP from the target', coded('HPE_INVALID_CONSTANT'), 'network'],
    ['happy-eyeballs failure', new AggregateError([coded('ECONNREFUSED')]), 'network'],
    ['undici connect timeout', coded('UND_ERR_CONNECT_TIMEOUT'), 'timeout'],
    [
      'refusal wrapped as a cause',
      new Error('connect failed', {
        cause: new AddressRefusedError('10.0.0.1', []),
      }),
      'refused',
    ],
    ['a bad header value', coded('UND_ERR_INVALID_ARG', 'invalid header'), 'internal'],
    ['a node argument error', coded('ERR_INVALID_ARG_TYPE'), 'internal'],
    ['a non-error', 'weird', 'internal'],
  ])('%s → %s', (_what, error, kind) => {
    expect(classifyError(error, false, 1000).kind).toBe(kind);
  });

  it('reports the deadline whatever undici says once it fired', () => {
    expect(classifyError(coded('UND_ERR_ABORTED'), true, 250)).toEqual({
      kind: 'timeout',
      message: 'no complete response within 250 ms',
    });
  });

  it('records an address refusal saying "refused" once', () => {
    const refusal = new AddressRefusedError('example.com', [checkAddress('169.254.169.254', {})]);
    const error = classifyError(new Error('connect failed', { cause: refusal }), false, 1000);
    // The runs read model shows `${kind}: ${message}`.
    expect(`${error.kind}: ${error.message}`).toBe(
      'refused: example.com: link-local address 169.254.169.254 is not allowed (set ALLOW_PRIVATE_NETWORKS)',
    );
  });

  it('names the system code in the message', () => {
    expect(classifyError(coded('ECONNRESET', 'socket hang up'), false, 1).message).toBe(
      'ECONNRESET: socket hang up',
    );
  });
});
