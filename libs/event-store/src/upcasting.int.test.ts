// Test-only edge: testkit imports this lib (embedded Postgres) for its global setup.
import { endpointStream, schemaVersionOf } from '@orrery/domain';
import { oneShotRefusalV1 } from '@orrery/domain/testing';
import { useTestDatabase } from '@orrery/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from './migrator.js';
import { createPostgresEventStore } from './postgres-event-store.js';
import { closeAfterEach, insertRaw, withClient } from './postgres-test-helpers.js';

const db = useTestDatabase();
const closing = closeAfterEach();

beforeAll(async () => {
  await migrateDatabase(db().url);
});

describe('an event stored at an older version', () => {
  it('is upcast when read: a HintRejected v1 (slot, no kind) reads as v2 through readStream and readAll', async () => {
    const store = closing(createPostgresEventStore({ connectionString: db().url }));
    const streamId = endpointStream('t1', 'old-refusal');
    const v1 = oneShotRefusalV1;
    const position = await withClient(db().url, (client) =>
      insertRaw(client, { streamId, version: 1, type: 'HintRejected', typeVersion: 1, data: v1 }),
    );
    const expected = { type: 'HintRejected', position, data: { ...v1, kind: 'oneShot' } };

    expect(await store.readStream(streamId)).toEqual([expect.objectContaining(expected)]);
    expect(await store.readAll({ after: position - 1, limit: 1 })).toEqual([
      expect.objectContaining(expected),
    ]);
    // The log is never rewritten: the row keeps its version; readers upcast it each time.
    const stored = await withClient(db().url, async (client) => {
      const { rows } = await client.query<{ type_version: number }>(
        'select type_version from events where position = $1',
        [position],
      );
      return rows[0]?.type_version;
    });
    expect(stored).toBe(1);
    expect(schemaVersionOf('HintRejected')).toBe(2);
  });
});
