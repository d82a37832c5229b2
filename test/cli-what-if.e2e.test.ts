import type { DomainEvent } from '@orrery/domain';
import { recordShop, SHOP_FROM, SHOP_TO } from '@orrery/domain/testing';
import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import { schedulingMigrations } from '@orrery/scheduling';
import { useTestDatabase } from '@orrery/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { orreryCli } from './support/orrery-cli.js';

// `orrery what-if` as an operator runs it, on a recorded minute of a small shop (the domain's
// recorder: the real deciders, a dispatcher a tick late, a scripted target) loaded into the log
// as it was recorded: same order, same times.
const db = useTestDatabase();
const orrery = orreryCli(() => db().url);
const window = [
  '--from',
  new Date(SHOP_FROM).toISOString(),
  '--to',
  new Date(SHOP_TO).toISOString(),
];

beforeAll(async () => {
  await migrateDatabase(db().url, undefined, schedulingMigrations);
  const store = createPostgresEventStore({ connectionString: db().url, maxConnections: 2 });
  const history = recordShop().history();
  const events = [...history.endpoints.values(), ...history.jobs.values()]
    .flat()
    .sort((a, b) => a.position - b.position);
  for (const { type, data, metadata, streamId, recordedAt } of events) {
    const event = { type, data, metadata } as DomainEvent;
    await store.append(streamId, [event], { expectedVersion: 'any', recordedAt });
  }
  await store.close();
});

describe('orrery what-if', () => {
  it('prints the per-endpoint table and totals, and the same report as JSON', async () => {
    const args = ['what-if', '--tenant', 't1', '--job', 'shop', ...window];
    const faster = ['--set', 'orders.baseline.everyMs=1000'];
    const [same, json, table] = await Promise.all([
      orrery(...args, '--json'),
      orrery(...args, ...faster, '--json'),
      orrery(...args, ...faster, '--limit', '2'),
    ]);
    expect(same, same.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(same.stdout).totals).toMatchObject({ moved: 0, appeared: 0, vanished: 0 });

    expect(json, json.stderr).toMatchObject({ code: 0 });
    const report = JSON.parse(json.stdout);
    const orders = report.endpoints.find((e: { endpointId: string }) => e.endpointId === 'orders');
    expect(orders.appeared.count).toBeGreaterThan(10);
    expect(table.stdout).toContain(report.summary);
    expect(table.stdout).toMatch(
      new RegExp(`orders\\s+shop\\s+${orders.recorded.runs}\\s+${orders.simulated.runs}\\s`),
    );
    expect(table.stdout).toMatch(/^total\s/m);
    expect(table.stdout).toMatch(
      /appeared \(\d+\):\n {4}\d\d:\d\d:\d\d\.\d{3}\s+baseline_interval/,
    );
  });

  it('refuses a wrong command line (2) and an unknown job (1)', async () => {
    const [noWindow, unknown] = await Promise.all([
      orrery('what-if', '--tenant', 't1', '--job', 'shop'),
      orrery('what-if', '--tenant', 't1', '--job', 'nope', ...window),
    ]);
    expect(noWindow).toMatchObject({ code: 2, stderr: expect.stringContaining('--from and --to') });
    expect(unknown).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('job nope not found'),
    });
  });
});
