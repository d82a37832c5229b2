/** The API phase's results (under `api` in the JSON). */
import type { ProfileSummary } from '../profile.js';
import type { Summary } from '../stats.js';
import type { LoadResult } from './load.js';

/** Issue 14's goals for reads: p99 at 1,000 req/s on one process, and a share of a bare route. */
export const API_GOALS = { p99Ms: 10, shareOfBare: 0.25 } as const;

/**
 * `bare-row`: the bare route reading the job's row with one prepared statement (pg), no Orrery
 * code. `job-uncached`: GET /v1/jobs/{id} on an API without LISTEN, folding the tenant per request.
 */
export type ApiTargetName =
  'bare' | 'bare-row' | 'job' | 'job-uncached' | 'jobs' | 'endpoint' | 'explain';

export interface ApiTargetResult {
  readonly name: ApiTargetName;
  readonly label: string;
  readonly path: string;
  /** As many requests as `connections` keep in flight, for the window. */
  readonly saturated: LoadResult;
  /** The same at a fixed offered rate, open loop (latency from each request's planned time). */
  readonly fixedRate: LoadResult;
  /**
   * The fixed-rate window's answers as the API timed them (`http.server.request.duration`, ms:
   * arrival to answer written), null for the bare route: what of `fixedRate` is the server's.
   */
  readonly server: Summary | null;
  /**
   * CPU per answered request in the fixed-rate window, µs: the server's main thread (its event
   * loop's busy time: the API, or the bare routes, and nothing else) and Postgres (the bench
   * database's backends; null where not visible). Unlike req/s, which swings with whatever else
   * the machine runs, these move little from run to run.
   */
  readonly cpuPerRequest: { readonly serverUs: number; readonly postgresUs: number | null };
  /** Saturated req/s over the bare route's. */
  readonly shareOfBare: number | null;
  /** Where the server's main thread spent the saturated window (null for the bare route). */
  readonly profile: ProfileSummary | null;
}

export interface ApiResult {
  readonly jobs: number;
  readonly endpoints: number;
  readonly connections: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly rate: number;
  readonly targets: readonly ApiTargetResult[];
  /** The worst API read (bare excluded): highest fixed-rate p99, smallest share of bare. */
  readonly worst: {
    readonly p99Ms: number;
    readonly p99Of: ApiTargetName;
    readonly shareOfBare: number | null;
    readonly shareOf: ApiTargetName;
  };
  readonly goals: {
    readonly p99: { readonly target: number; readonly reached: number; readonly met: boolean };
    readonly shareOfBare: {
      readonly target: number;
      readonly reached: number | null;
      readonly met: boolean | null;
    };
  };
}
