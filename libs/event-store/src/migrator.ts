import { Migrator, type Kysely, type Migration } from 'kysely';
import { migrations } from './migrations/index.js';
import { createEventStoreDb, createEventStorePool } from './postgres-connection.js';
import { connectionRole, SERVICE_ROLE } from './service-role.js';

/** Receives one line per step of a migration run. */
export type MigrationLog = (message: string) => void;

/**
 * Brings the database to the latest event-store schema. Pending migrations run
 * in name order inside one transaction (under Kysely's migration lock, so
 * concurrent callers are safe); a failure rolls back the whole run and throws
 * an error naming the failing migration.
 *
 * Run it as the owner of the schema (or a superuser): a connection whose role
 * is a member of `orrery_service` (the services' role) is refused before
 * anything runs, with a message saying so.
 *
 * @returns the names of the migrations applied by this call (empty when up to date).
 * @example
 * const applied = await migrateToLatest(db, (line) => console.log(line));
 */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  log: MigrationLog = () => {},
  more: MigrationSet = {},
): Promise<readonly string[]> {
  return runMigrations(db, withEventStore(more), log);
}

/** Named migrations; names are unique across every library's set. */
export type MigrationSet = Readonly<Record<string, Migration>>;

/**
 * The event store's migrations plus those of libraries that keep read models
 * in the same database (one migration table, one lock, one transaction).
 */
function withEventStore(more: MigrationSet): MigrationSet {
  for (const name of Object.keys(more)) {
    if (name in migrations) throw new Error(`migration ${name} is defined twice`);
  }
  return { ...migrations, ...more };
}

/**
 * {@link migrateToLatest} on the database behind a connection string, with a
 * short-lived connection of its own.
 *
 * @example
 * await migrateDatabase(process.env.DATABASE_URL, console.log);
 */
export async function migrateDatabase(
  connectionString: string,
  log?: MigrationLog,
  more: MigrationSet = {},
): Promise<readonly string[]> {
  const db = createEventStoreDb(createEventStorePool({ connectionString, max: 1 }));
  try {
    return await migrateToLatest(db, log, more);
  } finally {
    await db.destroy();
  }
}

/** {@link migrateToLatest} with an explicit migration set; internal, for tests. */
export async function runMigrations<DB>(
  db: Kysely<DB>,
  set: Readonly<Record<string, Migration>>,
  log: MigrationLog,
): Promise<readonly string[]> {
  await refuseServiceRole(db);
  const migrator = new Migrator({
    db,
    // Each library numbers its own migrations; a library's new migration may
    // sort before another library's applied one.
    allowUnorderedMigrations: true,
    provider: { getMigrations: async () => withProgress(set, log) },
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((result) => result.status === 'Error')?.migrationName;
    const hint = (error as { hint?: unknown }).hint;
    const reason =
      (error instanceof Error ? error.message : String(error)) +
      (typeof hint === 'string' ? ` (hint: ${hint})` : '');
    throw new Error(
      failed
        ? `migration ${failed} failed: ${reason} (the run was rolled back)`
        : `migrating failed: ${reason}`,
      { cause: error },
    );
  }
  const applied = results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
  for (const name of applied) log(`applied ${name}`);
  if (applied.length === 0) log('schema is up to date');
  return applied;
}

/**
 * The services' role may not change the schema, and would fail half-way with
 * a bare "permission denied": say what is wrong and what to do instead.
 */
async function refuseServiceRole<DB>(db: Kysely<DB>): Promise<void> {
  if ((await connectionRole(db)) !== 'service') return;
  throw new Error(
    `migrations must run as the owner of the schema, but this connection's role is a member of ` +
      `${SERVICE_ROLE} (the services' role, which may not change the schema): run ` +
      `\`npm run migrate\` with MIGRATION_DATABASE_URL set to the owner's connection string, ` +
      `and leave MIGRATE unset in services that connect as ${SERVICE_ROLE}`,
  );
}

/** Wraps each migration so the log shows which one is running (and how long it took). */
function withProgress(
  set: Readonly<Record<string, Migration>>,
  log: MigrationLog,
): Record<string, Migration> {
  return Object.fromEntries(
    Object.entries(set).map(([name, migration]) => [
      name,
      {
        ...migration,
        async up(db: Kysely<unknown>) {
          const started = performance.now();
          log(`running ${name}…`);
          await migration.up(db);
          log(`ran ${name} in ${Math.round(performance.now() - started)} ms`);
        },
      },
    ]),
  );
}
