import type pg from 'pg';

/**
 * Settings for every connection Orrery opens to its database (pools and LISTEN connections),
 * unless a caller overrides them: a connect (or a wait for a free pool slot) gives up after 30 s
 * instead of hanging through a network partition, and TCP keep-alive lets the OS notice a peer
 * that vanished without closing the connection.
 */
export const connectionDefaults = {
  connectionTimeoutMillis: 30_000,
  keepAlive: true,
  keepAliveInitialDelayMillis: 10_000,
} as const satisfies pg.ClientConfig;
