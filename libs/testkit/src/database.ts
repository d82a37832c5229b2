import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import './vitest-context.js';
import pg from 'pg';
import { dropServiceRole } from './service-role.js';

export interface TestDatabase {
  /** Connection string of the fresh database. */
  readonly url: string;
  readonly name: string;
  /** Drops the database (terminating leftover connections) and its service login role, if any. */
  drop(): Promise<void>;
}

const withUrlDatabase = (url: string, database: string): string => {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
};

/**
 * Creates an empty database with a unique name on the server behind `adminUrl`.
 * Integration tests call it once per file, so files never share state.
 */
export async function createTestDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = `orrery_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: withUrlDatabase(adminUrl, name),
    name,
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await dropServiceRole(client, name);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Gives a test file its own fresh database on the server the global setup
 * provided, created before the file's tests and dropped after them.
 *
 * @example
 * const db = useTestDatabase();
 * it('...', async () => { const store = await connect(db().url); ... });
 */
export function useTestDatabase(): () => TestDatabase {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
  });
  afterAll(async () => {
    await database?.drop();
  });
  return () => {
    if (!database) throw new Error('useTestDatabase(): the database exists only inside tests');
    return database;
  };
}
