import type { SchedulingDb } from '@orrery/scheduling';
import { sql } from 'kysely';

/**
 * Which of `actors` (dispatcher and executor ids, as their events' metadata names them) have
 * appended no RunDispatched or ResponseRecorded after log position `after`, and the position
 * the scheduling projection has handled up to.
 */
export async function workSince(
  db: SchedulingDb,
  after: number,
  actors: readonly string[],
): Promise<{ idle: string[]; projectedPast: number }> {
  const { rows } = await sql<{ actor: string }>`
    select distinct metadata->'actor'->>'id' as actor from events
    where position > ${after} and type in ('RunDispatched', 'ResponseRecorded')`.execute(db);
  const working = new Set(rows.map((row) => row.actor));
  const checkpoint = await db
    .selectFrom('processor_checkpoints')
    .select('position')
    .where('name', '=', 'scheduling')
    .executeTakeFirst();
  return {
    idle: actors.filter((actor) => !working.has(actor)),
    projectedPast: checkpoint?.position ?? 0,
  };
}
