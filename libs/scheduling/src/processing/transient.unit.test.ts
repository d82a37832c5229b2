import { describe, expect, it } from 'vitest';
import { isTransient } from './transient.js';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

// What a processor saw while its database was cut off (backends terminated, connections
// refused with ALLOW_CONNECTIONS false, then allowed again): each must retry the round, never
// park a stream.
describe('isTransient', () => {
  it.each([
    [
      'a terminated backend (57P01)',
      pgError('57P01', 'terminating connection due to administrator command'),
    ],
    ['a connection that died mid-query', new Error('Connection terminated unexpectedly')],
    [
      'a later query on the dead client',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
    [
      'a database closed to connections (55000)',
      pgError('55000', 'database "orrery" is not currently accepting connections'),
    ],
    ['a refused TCP connection', pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['a pool that could not connect in time', new Error('timeout exceeded when trying to connect')],
    ['a server starting up (57P03)', pgError('57P03', 'the database system is starting up')],
    [
      'a lost connection as the cause',
      new Error('append failed', { cause: pgError('08006', 'connection failure') }),
    ],
  ])('%s is transient', (_what, error) => {
    expect(isTransient(error)).toBe(true);
  });

  it.each([
    ['a unique violation', pgError('23505', 'duplicate key value violates unique constraint')],
    [
      'another 55000 (a code bug, not an outage)',
      pgError('55000', 'currval of sequence "s" is not yet defined in this session'),
    ],
    ['a bug in a handler', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a thrown string', 'broken'],
  ])('%s is not', (_what, error) => {
    expect(isTransient(error)).toBe(false);
  });
});
