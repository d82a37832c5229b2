import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The log's time follows its order: from this migration on, an append never records an event
 * earlier than the one before it (the append statement stamps `greatest(now, last)`, and refuses
 * a pinned `recordedAt` earlier than the log's last event). So a time bound becomes a position
 * bound, found by a binary search over the primary key (~log₂ n probes, no index, nothing more
 * per append), and `GET /v1/events?from=…&to=…` reads a window of the log instead of walking it
 * from the start (measured by `npm run bench -- --only log`).
 *
 * A log written before this migration may hold events out of time order (a pinned instant, the
 * system clock stepping back). The migration finds the last such position once, by one scan of
 * the log, and keeps it in `events_time_order`: below it, the bounds fall back to reading every
 * event, so a time window stays exact on any log, and fast on one that was always in order.
 *
 * - `events_from_position(t)`: no event recorded at or after `t` lies below it.
 * - `events_before_position(t)`: no event recorded before `t` lies at or above it.
 *
 * Both are bounds, not filters: a query keeps its `recorded_at` condition beside them.
 */
export const logTimeOrder: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table events_time_order (
        singleton boolean primary key default true check (singleton),
        -- The last position of the log whose event was recorded earlier than one before it (0:
        -- none). Above it, recorded_at never decreases with position.
        unordered_until bigint not null
      )`.execute(db);
    // Read-only for the services (the default privileges of 0003 grant them writes).
    await sql`revoke insert, update, delete, truncate on events_time_order
      from orrery_service`.execute(db);
    await sql`
      insert into events_time_order (unordered_until)
      select coalesce(max(position), 0) from (
        select position,
          recorded_at < max(recorded_at) over (order by position
            rows between unbounded preceding and 1 preceding) as earlier
        from events) as log
      where earlier`.execute(db);

    // The append statement's refusal of a pinned instant earlier than the event before it
    // (append-plan.ts's TimeOrderError says the same for the in-memory store).
    await sql`
      create function events_refuse_time_order(pinned timestamptz, floor timestamptz, stream text)
      returns timestamptz language plpgsql as $$
      begin
        raise exception 'recordedAt % (stream %) is earlier than %, the instant of the event before it: the log''s time never goes back',
          to_json(pinned)#>>'{}', stream, to_json(floor)#>>'{}'
          using errcode = 'data_exception';
      end
      $$`.execute(db);

    // The first position p above the unordered prefix such that every event at or after p was
    // recorded at or after t (head + 1 when none was). Binary search on the predicate "the first
    // event at or after position m was recorded at or after t", which rises with m in the ordered
    // part; positions may have gaps (rolled-back appends), so each probe takes the next event.
    await sql`
      create function events_ordered_position_at(t timestamptz) returns bigint
      language plpgsql stable as $$
      declare
        lo bigint := (select unordered_until from events_time_order);
        hi bigint := coalesce((select position from events order by position desc limit 1), 0) + 1;
        mid bigint;
        at timestamptz;
      begin
        -- lo: a position known to be below the answer; hi: one known to be at or above it.
        while hi - lo > 1 loop
          mid := lo + (hi - lo) / 2;
          select recorded_at into at from events where position >= mid order by position limit 1;
          if at >= t then hi := mid; else lo := mid; end if;
        end loop;
        return hi;
      end
      $$`.execute(db);
    await sql`
      create function events_from_position(t timestamptz) returns bigint
      language sql stable as $$
        select least(events_ordered_position_at(t),
          (select min(position) from events
            where position <= (select unordered_until from events_time_order)
              and recorded_at >= t))
      $$`.execute(db);
    await sql`
      create function events_before_position(t timestamptz) returns bigint
      language sql stable as $$
        select greatest(events_ordered_position_at(t),
          (select unordered_until + 1 from events_time_order))
      $$`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`drop function events_before_position(timestamptz)`.execute(db);
    await sql`drop function events_from_position(timestamptz)`.execute(db);
    await sql`drop function events_ordered_position_at(timestamptz)`.execute(db);
    await sql`drop function events_refuse_time_order(timestamptz, timestamptz, text)`.execute(db);
    await sql`drop table events_time_order`.execute(db);
  },
};
