import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { SchedulingSchema } from '../read-model/schema.js';
import {
  replayedTables,
  specOf,
  type ReplayedTable,
  type ResolvedScope,
  type Window,
} from './tables.js';

/** A read-model row as JSON (`to_jsonb`): timestamps as ISO text, jsonb columns nested. */
export type JsonRow = Readonly<Record<string, unknown>>;

/** One value that differs: a column, or a path inside a jsonb column (`state.hints.interval`). */
export interface ColumnChange {
  readonly path: string;
  readonly live: unknown;
  readonly replayed: unknown;
}

/**
 * A row on which the live read model and the replay disagree, by the table's primary key:
 * `missing` — the replay has it, the live read model does not; `extra` — the live read model
 * has a row the log does not give; `changed` — both have it, with these values apart.
 */
export type Difference =
  | {
      readonly table: ReplayedTable;
      readonly key: JsonRow;
      readonly kind: 'missing';
      readonly replayed: JsonRow;
    }
  | {
      readonly table: ReplayedTable;
      readonly key: JsonRow;
      readonly kind: 'extra';
      readonly live: JsonRow;
    }
  | {
      readonly table: ReplayedTable;
      readonly key: JsonRow;
      readonly kind: 'changed';
      readonly changes: readonly ColumnChange[];
    };

export interface TableComparison {
  readonly table: ReplayedTable;
  /** Rows of the scope on each side. */
  readonly live: number;
  readonly replayed: number;
  /** Rows that differ (all of them, though at most `limit` are listed). */
  readonly differences: number;
}

export interface CompareInput {
  /** Schema of the live read models and the log. */
  readonly live: string;
  /** Schema of the replayed copies (`pg_temp` for temporary tables). */
  readonly shadow: string;
  readonly scope: ResolvedScope;
  /** Events only one side has read: the rows they may have changed are left out. */
  readonly window: Window | null;
  /** Differences listed per table. */
  readonly limit: number;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Where two JSON values differ, with both values; object key order does not matter. */
export function jsonChanges(live: unknown, replayed: unknown, path = ''): ColumnChange[] {
  const at = (key: string | number) => (path ? `${path}.${key}` : String(key));
  if (isRecord(live) && isRecord(replayed)) {
    const keys = [...new Set([...Object.keys(live), ...Object.keys(replayed)])];
    return keys.flatMap((key) => jsonChanges(live[key], replayed[key], at(key)));
  }
  if (Array.isArray(live) && Array.isArray(replayed) && live.length === replayed.length) {
    return live.flatMap((item, i) => jsonChanges(item, replayed[i], at(i)));
  }
  return JSON.stringify(live) === JSON.stringify(replayed) ? [] : [{ path, live, replayed }];
}

/**
 * Compares the live read models with the replayed copies, table by table, in the database: a
 * full join on the primary key of the rows in scope, keeping the rows whose JSON differs (less
 * the columns the projection does not own). Run it in one repeatable-read transaction with the
 * read of the live checkpoint the window was computed from.
 */
export async function compareTables(
  db: Kysely<SchedulingSchema>,
  input: CompareInput,
): Promise<{ tables: TableComparison[]; differences: Difference[] }> {
  const tables: TableComparison[] = [];
  const differences: Difference[] = [];
  for (const table of replayedTables) {
    const spec = specOf(table);
    const where = spec.scope(input.scope) ?? sql<boolean>`true`;
    const scoped = (schema: string) => sql`select * from ${sql.id(schema, table)} t where ${where}`;
    const sides = sql`with l as (${scoped(input.live)}), s as (${scoped(input.shadow)})`;
    const side = (alias: 'l' | 's') => (column: string) => sql`${sql.id(alias, column)}`;
    const k = (column: string) => sql`coalesce(l.${sql.ref(column)}, s.${sql.ref(column)})`;
    const moved: RawBuilder<boolean> = input.window
      ? spec.moved(
          k,
          { l: side('l'), s: side('s') },
          sql`${sql.id(input.live, 'events')}`,
          input.window,
        )
      : sql<boolean>`false`;
    const ignore = sql`${[...spec.ignore]}::text[]`;
    // Rows compared column by column, typed (the columns but those ignored): as exact as
    // comparing them as JSON, without building two JSON documents per row.
    const columns = (await columnsOf(db, input.live, table)).filter(
      (c) => !spec.ignore.includes(c),
    );
    const row = (alias: 'l' | 's') => sql`row(${sql.join(columns.map(side(alias)))})`;
    const differing = (select: RawBuilder<unknown>) => sql`
      ${sides} ${select}
      from l full join s on ${sql.join(
        spec.key.map((c) => sql`l.${sql.ref(c)} = s.${sql.ref(c)}`),
        sql` and `,
      )}
      where ${row('l')} is distinct from ${row('s')} and not ${moved}`;
    const { rows: counts } = await sql<{ live: number; replayed: number; differences: number }>`
      with d as (${differing(sql`select 1`)})
      select (select count(*) from ${sql.id(input.live, table)} t where ${where}) as live,
        (select count(*) from ${sql.id(input.shadow, table)} t where ${where}) as replayed,
        (select count(*) from d) as differences`.execute(db);
    const count = Number(counts[0]?.differences ?? 0);
    // Listing them compares every row again: only when there is something to list (a replay
    // that agrees — the usual answer — then costs one pass over each table, not two).
    const { rows } =
      count === 0 || input.limit <= 0
        ? { rows: [] }
        : await sql<{ live: JsonRow | null; replayed: JsonRow | null }>`
          ${differing(sql`select to_jsonb(l) - ${ignore} as live, to_jsonb(s) - ${ignore} as replayed`)}
          order by ${sql.join(spec.key.map(k))}
          limit ${input.limit}`.execute(db);
    tables.push({
      table,
      live: Number(counts[0]?.live ?? 0),
      replayed: Number(counts[0]?.replayed ?? 0),
      differences: count,
    });
    for (const { live, replayed } of rows) {
      const either = live ?? replayed ?? {};
      const key = Object.fromEntries(spec.key.map((c) => [c, either[c]]));
      if (live === null && replayed !== null) {
        differences.push({ table, key, kind: 'missing', replayed });
      } else if (replayed === null && live !== null) {
        differences.push({ table, key, kind: 'extra', live });
      } else {
        const changes = jsonChanges(live, replayed).sort((a, b) => a.path.localeCompare(b.path));
        differences.push({ table, key, kind: 'changed', changes });
      }
    }
  }
  return { tables, differences };
}

/** A live read model's columns, in their order. */
async function columnsOf(
  db: Kysely<SchedulingSchema>,
  schema: string,
  table: ReplayedTable,
): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select column_name as name from information_schema.columns
    where table_schema = ${schema} and table_name = ${table} order by ordinal_position`.execute(db);
  if (rows.length === 0) throw new Error(`no columns found for ${schema}.${table}`);
  return rows.map((r) => r.name);
}
