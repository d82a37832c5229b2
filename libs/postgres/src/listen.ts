import pg from 'pg';

export interface Listener {
  close(): Promise<void>;
}

/**
 * LISTENs on `channel` with a dedicated connection (a listening connection is
 * held for the listener's life, so it is never a pool slot). `onNotify` gets
 * each payload; `onLost` is called once if the connection dies unasked.
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
  const client = new pg.Client({ connectionString, application_name: applicationName });
  let closing = false;
  client.on('error', (error) => {
    if (!closing) onLost(error);
  });
  client.on('end', () => {
    if (!closing) onLost(new Error(`LISTEN ${channel} connection ended`));
  });
  client.on('notification', (message) => {
    if (message.channel === channel) onNotify(message.payload);
  });
  const close = async () => {
    if (closing) return;
    closing = true;
    await client.end();
  };
  try {
    await client.connect();
    await client.query(`LISTEN ${channel}`);
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
  return { close };
}
