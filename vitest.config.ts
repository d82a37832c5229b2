import { defineConfig } from 'vitest/config';

/**
 * Three tiers by file suffix: unit (pure), int (real Postgres/Redis), e2e
 * (processes and HTTP). One global setup provides a Postgres server: the one
 * in DATABASE_URL, or an embedded one started for the run.
 */
export default defineConfig({
  test: {
    globalSetup: ['libs/testkit/src/global-setup.ts'],
    reporters: ['default', './libs/testkit/src/summary-reporter.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '.orrery/**'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['**/*.unit.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'int',
          include: ['**/*.int.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['**/*.e2e.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
