/**
 * Applies pending migrations (the event log's and the read models') as the
 * owner of the schema: MIGRATION_DATABASE_URL, else DATABASE_URL. Services
 * connect as a member of orrery_service, which may not migrate; see
 * docs/database-roles.md.
 *
 *   MIGRATION_DATABASE_URL=postgres://postgres@127.0.0.1:5432/orrery npm run migrate
 */
import { migrateDatabase } from '@orrery/event-store';
import { schedulingMigrations } from '@orrery/scheduling';

const variable = process.env['MIGRATION_DATABASE_URL'] ? 'MIGRATION_DATABASE_URL' : 'DATABASE_URL';
const url = process.env[variable];
if (!url) {
  console.error(
    'MIGRATION_DATABASE_URL (or DATABASE_URL) is not set: set it to the database to migrate, ' +
      "connecting as the schema's owner, e.g. " +
      'MIGRATION_DATABASE_URL=postgres://postgres@127.0.0.1:5432/orrery',
  );
  process.exit(2);
}

const target = new URL(url);
console.log(`migrating ${target.host}${target.pathname} as ${target.username} (${variable})`);
try {
  const applied = await migrateDatabase(
    url,
    (line) => console.log(`  ${line}`),
    schedulingMigrations,
  );
  console.log(
    applied.length > 0
      ? `done: applied ${applied.length} migration(s): ${applied.join(', ')}`
      : 'done: nothing to apply',
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
