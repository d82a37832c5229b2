import pg from 'pg';
import { connectionDefaults } from './connection-settings.js';

export interface Listener {
  /**
   * A round trip on the listening connection. PostgreSQL (15 and later) sends a session the
   * notifications it has pending before it answers a query, so once this resolves, `onNotify` has
   * been called for every notification of every transaction that committed before the call.
   * Rejects when the connection is lost.
   */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * LISTENs on `channel` with a dedicated connection (a listening connection is
 * held for the listener's life, so it is never a pool slot). `onNotify` gets
 * each payload; `onLost` is called once if the connection dies unasked (the listener is then
 * closed; open a new one).
 *
 * @example
 * const listener = await listen(url, 'orrery_schedule', () => dispatcher.wake(), onLost);
 */
export async function listen(
  connectionString: string,
  channel: string,
  onNotify: (payload: string | undefined) => void,
  onLost: (error: unknown) => void,
  applicationName = `orrery-listen-${channel}`,
): Promise<Listener> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
  const client = new pg.Client({
    ...connectionDefaults,
    connectionString,
    application_name: applicationName,
  });
  // 'listening' once LISTEN succeeded: only then is a dying connection reported, and only once
  // (pg emits both 'error' and 'end' for one loss; each report opens a new connection).
  let state: 'opening' | 'listening' | 'lost' | 'closed' = 'opening';
  const lose = (error: unknown) => {
    if (state !== 'listening') return;
    state = 'lost';
    client.end().catch(() => {});
    onLost(error);
  };
  // Always listened to: an 'error' event without a listener would end the process.
  client.on('error', lose);
  client.on('end', () => lose(new Error(`LISTEN ${channel} connection ended`)));
  client.on('notification', (message) => {
    if (message.channel === channel) onNotify(message.payload);
  });
  const close = async () => {
    if (state === 'closed') return;
    const wasLost = state === 'lost';
    state = 'closed';
    if (!wasLost) await client.end();
  };
  try {
    await client.connect();
    await client.query(`LISTEN ${channel}`);
    state = 'listening';
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
  return {
    close,
    sync: async () => {
      if (state !== 'listening') throw new Error(`LISTEN ${channel} connection is not open`);
      await client.query('select 1');
    },
  };
}
