/**
 * Replays the event log into the scheduling read models.
 *
 *   npm run replay              verify: fold every endpoint stream from position 0 and compare
 *                               with the live `schedule` rows (read-only)
 *   npm run replay -- --rebuild rebuild: empty the read models and re-project the whole log
 *                               (stop the projection service first)
 *
 * Uses DATABASE_URL, or the embedded server of a running `npm start`, or starts it.
 */
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { endpointStream, fold, parseEndpointStream, type RecordedEvent } from '@orrery/domain';
import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import {
  createSchedulingDb,
  processorStatus,
  ProcessorHost,
  schedulingMigrations,
  SchedulingProjection,
} from '@orrery/scheduling';
import pino from 'pino';
import { connectForTool } from './lib/connect.js';

const { values } = parseArgs({ options: { rebuild: { type: 'boolean', default: false } } });
const { url, embedded } = await connectForTool();

await migrateDatabase(url, undefined, schedulingMigrations);
const store = createPostgresEventStore({ connectionString: url, maxConnections: 2 });
const db = createSchedulingDb({ connectionString: url, max: 2 });
const head = await store.headPosition();
const progress = (position: number) =>
  process.stdout.write(
    `\r  ${position}/${head} events (${Math.round((position / Math.max(head, 1)) * 100)}%)`,
  );

try {
  if (values.rebuild) {
    console.log(`rebuilding the read models from ${head} events…`);
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('schedule').execute();
      await trx.deleteFrom('runs').execute();
      await trx.deleteFrom('jobs').execute();
      await trx.deleteFrom('conflicts').execute();
      await trx.deleteFrom('planner_sessions').execute();
      await trx.deleteFrom('processor_checkpoints').where('name', '=', 'scheduling').execute();
      // A rebuild applies every stream from its start: nothing stays set aside.
      await trx.deleteFrom('parked_streams').where('processor', '=', 'scheduling').execute();
    });
    const host = new ProcessorHost({
      processor: new SchedulingProjection({ db, store }),
      store,
      db,
      log: pino({ level: 'silent' }),
      connectionString: null,
      batchSize: 2000,
    });
    while (host.position < head) {
      await host.tick();
      if (!host.active) throw new Error('the projection runs elsewhere: stop it first');
      progress(host.position);
    }
    await host.stop();
    console.log('\ndone');
  } else {
    console.log(`verifying the schedule read model against a fresh fold of ${head} events…`);
    const streams = new Map<string, RecordedEvent[]>();
    let position = 0;
    for (;;) {
      const events = await store.readAll({ after: position, limit: 5000 });
      if (events.length === 0) break;
      for (const event of events) {
        if (parseEndpointStream(event.streamId) === null) continue;
        const list = streams.get(event.streamId);
        if (list) list.push(event);
        else streams.set(event.streamId, [event]);
      }
      position = events.at(-1)?.position ?? position;
      progress(position);
    }
    const rows = await db
      .selectFrom('schedule')
      .select(['tenant_id', 'endpoint_id', 'state', 'stream_version'])
      .execute();
    const live = new Map(rows.map((row) => [endpointStream(row.tenant_id, row.endpoint_id), row]));
    const mismatches: string[] = [];
    for (const [id, events] of streams) {
      const row = live.get(id);
      if (!row) {
        mismatches.push(`${id}: no schedule row (the projection has not caught up?)`);
        continue;
      }
      // Compare at the row's version: a running projection may be a few events behind.
      const upTo = events.filter((e) => e.streamVersion <= row.stream_version);
      const folded = JSON.parse(JSON.stringify(fold(upTo))) as unknown;
      if (!isDeepStrictEqual(row.state, folded)) {
        mismatches.push(
          `${id}: read model at version ${row.stream_version} differs from the log's fold`,
        );
      }
    }
    console.log(`\n${streams.size} endpoints checked, ${mismatches.length} mismatches`);
    for (const line of mismatches.slice(0, 50)) console.log(`  ${line}`);
    // Verifying what the read model holds says nothing of whether it still moves: say that too.
    const status = await processorStatus(db);
    let stalled = false;
    for (const p of status.processors) {
      const waiting =
        p.lag === 0
          ? 'caught up'
          : `${p.lag} events behind, the oldest waiting ${Math.round(p.waitingMs / 1000)} s`;
      stalled ||= p.waitingMs > 30_000;
      console.log(
        `  processor ${p.name}: at ${p.position} of ${status.head}, ${waiting}` +
          `${p.active ? '' : ', not running'}${p.parked > 0 ? `, ${p.parked} streams parked` : ''}`,
      );
    }
    if (stalled) console.log('  a processor is stalled: its events wait for more than 30 s');
    process.exitCode = mismatches.length === 0 && !stalled ? 0 : 1;
  }
} finally {
  await store.close();
  await db.destroy();
  await embedded?.stop();
}
