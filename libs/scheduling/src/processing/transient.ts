/**
 * Messages of pg (a connection that died: the query in progress, or a later one on the same
 * client — "not queryable") and of the server when it refuses connections for a while (a
 * database closed to connections, `ALLOW_CONNECTIONS false`, reports the catch-all SQLSTATE
 * 55000, so its message tells it apart).
 */
const OUTAGE_MESSAGES = new RegExp(
  [
    'Connection terminated',
    'connection error',
    'not queryable',
    'timeout exceeded when trying to connect',
    'Connection ended',
    'the database system is (starting up|shutting down|in recovery)',
    'is not currently accepting connections',
  ].join('|'),
  'i',
);

/**
 * Whether an error is the infrastructure's (a lost connection, a database restarting, a
 * lock or serialization conflict) rather than the data's. A transient failure is retried as a
 * whole round; only a failure that is not transient sets a stream aside, so a database outage
 * never parks healthy streams.
 */
export function isTransient(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const code = typeof e === 'object' && 'code' in e ? String((e as { code: unknown }).code) : '';
    if (/^(08|53|57|58|40)/.test(code) || code === '55P03') return true;
    if (/^(ECONN|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ENOTFOUND)/.test(code))
      return true;
    const message = e instanceof Error ? e.message : '';
    if (OUTAGE_MESSAGES.test(message)) return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}
