/**
 * What the embedded server's handle reports through `onEvent`, for the
 * caller's structured log. Nothing here needs an answer.
 */
export type EmbeddedPostgresEvent =
  /**
   * The server user cannot reach the data directory, so the cluster lives in
   * `clusterDir` and `dataDir` links to it. Reported at every start.
   */
  | {
      readonly type: 'relocated';
      readonly dataDir: string;
      readonly clusterDir: string;
      /** This start created the cluster directory (a fresh cluster). */
      readonly created: boolean;
      /** An older cluster found for the same path without a link to it, kept here. */
      readonly setAside?: string;
    }
  /** The server user cannot run the packaged binaries; a copy in `dir` is used. */
  | { readonly type: 'binaries-relocated'; readonly dir: string }
  /** Leftovers of an earlier server were cleared before a start. */
  | {
      readonly type: 'stale-cleared';
      readonly stoppedServer?: number;
      readonly killedOrphans: readonly number[];
      readonly removedPidFile: boolean;
    }
  /** The server exited without `stop()`; a restart follows unless restarts are off. */
  | {
      readonly type: 'exited';
      readonly pid: number;
      readonly code: number | null;
      readonly signal: string | null;
    }
  /** A restart attempt failed; `retryInMs` is absent when it was the last one. */
  | {
      readonly type: 'restart-failed';
      readonly attempt: number;
      readonly error: string;
      readonly retryInMs?: number;
    }
  | {
      readonly type: 'restarted';
      readonly pid: number;
      readonly attempt: number;
      /** From the exit to accepting connections again. */
      readonly downMs: number;
    }
  /** Restarts stopped after `attempts` failures in a row: the server stays down. */
  | { readonly type: 'gave-up'; readonly attempts: number; readonly error: string };

/**
 * A log level and one line for `event`, so a service can log it with the
 * event as structured fields.
 *
 * @example
 * onEvent: (event) => {
 *   const { level, message } = describeEmbeddedPostgresEvent(event);
 *   log[level](event, message);
 * }
 */
export function describeEmbeddedPostgresEvent(event: EmbeddedPostgresEvent): {
  level: 'info' | 'warn' | 'error';
  message: string;
} {
  switch (event.type) {
    case 'relocated':
      return {
        level: 'warn',
        message:
          `embedded PostgreSQL: the server's user cannot reach ${event.dataDir}, so the cluster ` +
          `${event.created ? 'was created' : 'lives'} in ${event.clusterDir} (the data directory links to it)` +
          (event.setAside ? `; an older cluster found there was moved to ${event.setAside}` : ''),
      };
    case 'binaries-relocated':
      return {
        level: 'warn',
        message: `embedded PostgreSQL: the server's user cannot run the installed binaries; using a copy in ${event.dir}`,
      };
    case 'stale-cleared':
      return { level: 'warn', message: 'embedded PostgreSQL: cleared what an earlier server left' };
    case 'exited':
      return { level: 'error', message: 'embedded PostgreSQL exited unexpectedly' };
    case 'restart-failed':
      return {
        level: event.retryInMs === undefined ? 'error' : 'warn',
        message: 'embedded PostgreSQL did not restart',
      };
    case 'restarted':
      return { level: 'info', message: 'embedded PostgreSQL restarted' };
    case 'gave-up':
      return {
        level: 'error',
        message:
          event.attempts === 0
            ? 'embedded PostgreSQL is down (restarts are off)'
            : `embedded PostgreSQL is down: ${event.attempts} restarts failed in a row; restart Orrery once the cause is fixed`,
      };
  }
}
