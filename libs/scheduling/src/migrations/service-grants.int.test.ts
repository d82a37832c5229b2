import { migrateDatabase } from '@orrery/event-store';
import { serviceRoleUrl, useTestDatabase } from '@orrery/testkit';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { schedulingMigrations } from './index.js';

// The services connect as a member of orrery_service: every read model must be theirs to write.
const db = useTestDatabase();
let serviceUrl = '';

beforeAll(async () => {
  await migrateDatabase(db().url, undefined, schedulingMigrations);
  serviceUrl = await serviceRoleUrl(db());
});

async function query<R extends pg.QueryResultRow>(url: string, text: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text)).rows;
  } finally {
    await client.end();
  }
}

/**
 * Tables the services may append to but never rewrite. A migration that adds
 * an append-only table revokes UPDATE and DELETE on it and lists it here.
 */
const APPEND_ONLY = ['events'];

/** Tables of the schema, but the append-only ones and the migrator's own. */
const readModels = async (): Promise<string[]> =>
  (
    await query<{ name: string }>(
      db().url,
      `select tablename as name from pg_tables where schemaname = current_schema()
       and tablename not like 'kysely\\_%' order by 1`,
    )
  )
    .map((row) => row.name)
    .filter((name) => !APPEND_ONLY.includes(name));

/**
 * Reads, inserts, updates and deletes in `table` as the service role; each
 * statement matches no row, but Postgres checks the privilege all the same.
 * Returns the refusals (empty when the role may do all four).
 */
async function refusalsIn(table: string): Promise<string[]> {
  const [first] = await query<{ column: string }>(
    db().url,
    `select attname as column from pg_attribute
     where attrelid = '${table}'::regclass and attnum > 0 and not attisdropped order by attnum limit 1`,
  );
  const column = first?.column ?? 'missing';
  const statements = [
    `select * from ${table} limit 0`,
    `insert into ${table} select * from ${table} where false`,
    `update ${table} set ${column} = ${column} where false`,
    `delete from ${table} where false`,
  ];
  const refused: string[] = [];
  for (const statement of statements) {
    await query(serviceUrl, statement).catch((error: Error) =>
      refused.push(`${statement}: ${error.message}`),
    );
  }
  return refused;
}

describe('the read models', () => {
  it('are readable and writable by the service role', async () => {
    const tables = await readModels();
    expect(tables).toEqual(
      expect.arrayContaining(['jobs', 'processor_checkpoints', 'runs', 'schedule']),
    );
    for (const table of tables) expect(await refusalsIn(table)).toEqual([]);
  });

  it('that existed before the service role get their grant from 0103_service_grants', async () => {
    // As a database migrated before 0003_service_role: the read models carry no grant.
    await query(
      db().url,
      `revoke all on schedule, runs, processor_checkpoints, jobs from orrery_service;
       delete from kysely_migration where name = '0103_service_grants'`,
    );
    expect(await refusalsIn('runs')).toHaveLength(4);

    expect(await migrateDatabase(db().url, undefined, schedulingMigrations)).toEqual([
      '0103_service_grants',
    ]);
    for (const table of ['jobs', 'processor_checkpoints', 'runs', 'schedule']) {
      expect(await refusalsIn(table)).toEqual([]);
    }
  });
});
