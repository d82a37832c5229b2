import { backoffMs } from '@orrery/postgres';
import { sql, type Kysely } from 'kysely';
import type { SchedulingSchema } from '../read-model/schema.js';

type Db = Kysely<SchedulingSchema>;

/** A stream a processor set aside, from its first event it could not handle. */
export interface ParkedStream {
  readonly processor: string;
  readonly streamId: string;
  readonly tenantId: string;
  readonly streamVersion: number;
  readonly position: number;
  readonly error: string;
  readonly attempts: number;
  readonly parkedAt: Date;
  readonly retryAt: Date;
}

/** Retries of a parked stream: 1 s, 2 s, 4 s … at most every 10 minutes. */
const retryDelayMs = (attempts: number) => backoffMs(attempts - 1, 1_000, 10 * 60_000);

/** The parked streams of one processor (its `parked_streams` rows). */
export class ParkedStreams {
  constructor(
    private readonly db: Db,
    private readonly processor: string,
  ) {}

  async list(): Promise<ParkedStream[]> {
    const rows = await this.db
      .selectFrom('parked_streams')
      .selectAll()
      .where('processor', '=', this.processor)
      .execute();
    return rows.map((row) => ({
      processor: row.processor,
      streamId: row.stream_id,
      tenantId: row.tenant_id,
      streamVersion: row.stream_version,
      position: Number(row.position),
      error: row.error,
      attempts: row.attempts,
      parkedAt: new Date(row.parked_at),
      retryAt: new Date(row.retry_at),
    }));
  }

  /** Sets a stream aside from the given event on, with why (a stream parked already stays as it is). */
  async park(
    stream: { streamId: string; tenantId: string; streamVersion: number; position: number },
    error: string,
  ): Promise<void> {
    await sql`insert into parked_streams (processor, stream_id, tenant_id, stream_version, position,
        error, attempts, parked_at, retry_at)
      values (${this.processor}, ${stream.streamId}, ${stream.tenantId}, ${stream.streamVersion},
        ${stream.position}, ${error}, 1, now(), now() + make_interval(secs => ${retryDelayMs(1) / 1000}))
      on conflict (processor, stream_id) do nothing`.execute(this.db);
  }

  /** A retry failed again: record why and back off further. */
  async failedAgain(streamId: string, attempts: number, error: string): Promise<void> {
    await sql`update parked_streams set error = ${error}, attempts = ${attempts + 1},
        retry_at = now() + make_interval(secs => ${retryDelayMs(attempts + 1) / 1000})
      where processor = ${this.processor} and stream_id = ${streamId}`.execute(this.db);
  }

  /** A new event arrived for parked streams: try them again at the next round. */
  async retrySoon(streamIds: readonly string[]): Promise<void> {
    if (streamIds.length === 0) return;
    await this.db
      .updateTable('parked_streams')
      .set({ retry_at: sql`now()` })
      .where('processor', '=', this.processor)
      .where('stream_id', 'in', [...streamIds])
      .execute();
  }

  async unpark(streamId: string): Promise<void> {
    await this.db
      .deleteFrom('parked_streams')
      .where('processor', '=', this.processor)
      .where('stream_id', '=', streamId)
      .execute();
  }
}
