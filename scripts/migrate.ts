/**
 * Applies pending event-store migrations to the database in DATABASE_URL.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/orrery npx tsx scripts/migrate.ts
 */
import { migrateDatabase } from '@orrery/event-store';

const url = process.env['DATABASE_URL'];
if (!url) {
  console.error(
    'DATABASE_URL is not set: set it to the Postgres database to migrate, ' +
      'e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/orrery',
  );
  process.exit(2);
}

const target = new URL(url);
console.log(`migrating ${target.host}${target.pathname}`);
try {
  const applied = await migrateDatabase(url, (line) => console.log(`  ${line}`));
  console.log(
    applied.length > 0
      ? `done: applied ${applied.length} migration(s): ${applied.join(', ')}`
      : 'done: nothing to apply',
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
