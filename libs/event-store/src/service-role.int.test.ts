// Test-only edge: testkit imports this lib (embedded Postgres) for its global setup.
import { randomBytes } from 'node:crypto';
import { serviceRoleUrl, useTestDatabase, waitFor } from '@orrery/testkit';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { follow, paused, resumed, uniqueStream } from './contract-helpers.js';
import { createGroupIfMissing } from './migrations/0003-service-role.js';
import { migrateDatabase } from './migrator.js';
import { createEventStoreDb, createEventStorePool } from './postgres-connection.js';
import { createPostgresEventStore } from './postgres-event-store.js';
import { blockedSessions, closeAfterEach, withClient } from './postgres-test-helpers.js';
import { connectionRole, ensureServiceLogin } from './service-role.js';

// The services connect as a member of orrery_service; the owner runs migrations.
const db = useTestDatabase();
const closing = closeAfterEach();
let serviceUrl = '';

beforeAll(async () => {
  await migrateDatabase(db().url);
  serviceUrl = await serviceRoleUrl(db());
});

/** Runs `statement` as the service role and returns the error Postgres answered. */
const refusal = (statement: string) =>
  withClient(serviceUrl, (client) => client.query(statement)).then(
    () => {
      throw new Error(`expected a refusal of: ${statement}`);
    },
    (error: { code?: string; message: string }) => error,
  );

describe('the service role', () => {
  it('appends and reads through the event store, and followers are woken by NOTIFY', async () => {
    // A poll slower than waitFor's bound: only the notification can wake the follower in time.
    const store = closing(
      createPostgresEventStore({ connectionString: serviceUrl, pollIntervalMs: 60_000 }),
    );
    const follower = follow(store, await store.headPosition());
    const stream = uniqueStream('service');
    try {
      await store.append(stream, [paused()], { expectedVersion: 0 });
      const [keyed] = await store.appendMany([
        {
          streamId: stream,
          expectedVersion: 1,
          events: [resumed()],
          idempotencyKey: `k-${stream}`,
        },
      ]);
      const [again] = await store.appendMany([
        {
          streamId: stream,
          expectedVersion: 2,
          events: [resumed()],
          idempotencyKey: `k-${stream}`,
        },
      ]);

      expect(keyed?.duplicate).toBe(false);
      expect(again?.duplicate).toBe(true);
      expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['Paused', 'Resumed']);
      await waitFor('the follower to see both events', () =>
        follower.seen.length === 2 ? true : undefined,
      );
      expect(follower.errors).toEqual([]);
    } finally {
      await follower.subscription.stop();
    }
  });

  it('is what connectionRole reports, unlike the owner', async () => {
    const roleOf = async (url: string) => {
      const kysely = createEventStoreDb(createEventStorePool({ connectionString: url, max: 1 }));
      try {
        return await connectionRole(kysely);
      } finally {
        await kysely.destroy();
      }
    };
    expect(await roleOf(serviceUrl)).toBe('service');
    expect(await roleOf(db().url)).toBe('superuser');
  });
});

describe('the service role cannot change the log', () => {
  it.each([
    ['UPDATE', `update events set type = 'Resumed'`],
    ['DELETE', 'delete from events'],
    ['TRUNCATE', 'truncate events'],
    [
      'INSERT … ON CONFLICT DO UPDATE',
      `insert into events (stream_id, stream_version, type, type_version, data, metadata, tenant_id)
       values ('x', 1, 'Paused', 1, '{}', '{}', 't1')
       on conflict (stream_id, stream_version) do update set data = excluded.data`,
    ],
    [
      'INSERT … OVERRIDING SYSTEM VALUE',
      `insert into events (position, stream_id, stream_version, type, type_version, data, metadata,
                           tenant_id)
       overriding system value values (1, 'x', 1, 'Paused', 1, '{}', '{}', 't1')`,
    ],
    // COPY writes identity columns as given: refused for lack of privilege on `position`.
    [
      'COPY with positions',
      'copy events (position, stream_id, stream_version, type, type_version, data, metadata, tenant_id) from stdin',
    ],
    ['rewinding the positions', `select setval(pg_get_serial_sequence('events', 'position'), 1)`],
  ])('refuses %s for lack of privilege', async (_operation, statement) => {
    const error = await refusal(statement);
    expect(error.code).toBe('42501');
    expect(error.message).toMatch(
      /^permission denied for (table events|sequence events_position_seq)$/,
    );
  });

  it.each([
    ['disabling a trigger', 'alter table events disable trigger events_refuse_update_delete'],
    ['disabling every trigger', 'alter table events disable trigger all'],
    ['dropping a trigger', 'drop trigger events_refuse_update_delete on events'],
    ['dropping the table', 'drop table events'],
  ])('refuses %s: only the owner may', async (_operation, statement) => {
    const error = await refusal(statement);
    expect(error.code).toBe('42501');
    expect(error.message).toMatch(/^must be owner of (table|relation) events$/);
  });

  it('refuses session_replication_role = replica (which would skip the triggers)', async () => {
    const error = await refusal('set session_replication_role = replica');
    expect(error.code).toBe('42501');
    expect(error.message).toBe('permission denied to set parameter "session_replication_role"');
  });

  it('leaves the log as it was and its triggers enabled', async () => {
    const store = closing(createPostgresEventStore({ connectionString: db().url }));
    const head = await store.headPosition();
    await refusal('delete from events');
    await refusal('alter table events disable trigger all');
    expect(await store.headPosition()).toBe(head);
    const triggers = await withClient(db().url, async (client) => {
      const { rows } = await client.query<{ tgname: string; tgenabled: string }>(
        `select tgname, tgenabled from pg_trigger where tgrelid = 'events'::regclass order by 1`,
      );
      return rows;
    });
    expect(triggers).toEqual([
      { tgname: 'events_notify_tenant', tgenabled: 'O' },
      { tgname: 'events_refuse_truncate', tgenabled: 'O' },
      { tgname: 'events_refuse_update_delete', tgenabled: 'O' },
    ]);
  });

  it('cannot run migrations, and is told why', async () => {
    await expect(migrateDatabase(serviceUrl)).rejects.toThrow(
      /^migrations must run as the owner of the schema, but this connection's role is a member of orrery_service/,
    );
  });
});

describe('tables created by later migrations', () => {
  it('are readable and writable by the service role without a grant of their own', async () => {
    await migrateDatabase(db().url, undefined, {
      '9000_test_read_model': {
        up: async (k) =>
          void (await sql`create table test_read_model (id serial primary key, n int)`.execute(k)),
      },
    });
    const rows = await withClient(serviceUrl, async (client) => {
      await client.query('insert into test_read_model (n) values (1), (2)');
      await client.query('update test_read_model set n = n * 10');
      await client.query('delete from test_read_model where n = 10');
      return (await client.query<{ n: number }>('select n from test_read_model')).rows;
    });
    expect(rows).toEqual([{ n: 20 }]);
  });
});

describe('creating the group role', () => {
  it('succeeds once when two migrations race to create it', async () => {
    const group = `orrery_test_grp_${randomBytes(4).toString('hex')}`;
    const [first, second] = [1, 2].map(() =>
      createEventStoreDb(createEventStorePool({ connectionString: db().url, max: 1 })),
    );
    if (!first || !second) throw new Error('two connections');
    try {
      await sql`begin`.execute(first);
      await createGroupIfMissing(first, group);
      await sql`begin`.execute(second);
      // The second sees no role yet, creates it, and waits on the first's uncommitted one.
      const racing = createGroupIfMissing(second, group);
      await waitFor('the second creation to wait for the first', async () =>
        (await blockedSessions(db().url)) > 0 ? true : undefined,
      );
      await sql`commit`.execute(first);
      await racing;
      await sql`commit`.execute(second);

      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from pg_roles where rolname = ${group}`.execute(first);
      expect(rows[0]?.n).toBe(1);
    } finally {
      await Promise.allSettled([first.destroy(), second.destroy()]);
      await withClient(db().url, (client) => client.query(`drop role if exists ${group}`));
    }
  });
});

describe('ensureServiceLogin', () => {
  it('makes a login member of orrery_service, and sets a new password on the next call', async () => {
    const name = `${db().name}_app`;
    const role = () =>
      withClient(db().url, async (client) => {
        const { rows } = await client.query<{ login: boolean; member: boolean; hash: string }>(
          `select rolcanlogin as login, pg_has_role(oid, 'orrery_service', 'MEMBER') as member,
                  rolpassword as hash
           from pg_authid where rolname = $1`,
          [name],
        );
        return rows[0];
      });
    try {
      const first = await ensureServiceLogin(db().url, { name, password: 'first-secret' });
      const before = await role();
      const second = await ensureServiceLogin(db().url, { name, password: 'second-secret' });
      const after = await role();

      expect(before).toMatchObject({ login: true, member: true });
      expect(after).toMatchObject({ login: true, member: true });
      expect(after?.hash).not.toBe(before?.hash);
      expect(new URL(first).pathname).toBe(new URL(db().url).pathname);
      expect(new URL(second).username).toBe(name);
      expect(new URL(second).password).toBe('second-secret');
    } finally {
      await withClient(db().url, (client) => client.query(`drop role if exists ${name}`));
    }
  });

  it('refuses to hand the services a role with administrative power', async () => {
    // The tests' own role may create databases (at least).
    const admin = new URL(db().url).username;
    await expect(ensureServiceLogin(db().url, { name: admin, password: 'x' })).rejects.toThrow(
      `role ${admin} exists with administrative attributes`,
    );
  });
});
