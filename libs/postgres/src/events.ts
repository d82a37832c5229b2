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
  | { readonly type: 'binaries-relocated'; readonly dir: string };

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
  }
}
