import pg from 'pg';
import { EVENTS_CHANNEL } from './schema.js';
import type { WakeSource } from './subscription-loop.js';

/** `application_name` of listening connections (visible in pg_stat_activity). */
export const LISTENER_APPLICATION = 'orrery-event-store-listener';

/**
 * Wakes a subscription on `NOTIFY orrery_events`, using a dedicated connection
 * (not a pool slot: a listening connection is held for the subscription's
 * life). A lost connection fails the subscription.
 */
export function notificationWakeSource(connectionString: string): WakeSource {
  return {
    async open(wake, fail) {
      const client = new pg.Client({ connectionString, application_name: LISTENER_APPLICATION });
      let closing = false;
      client.on('error', (error) => {
        if (!closing) fail(error);
      });
      client.on('end', () => {
        if (!closing) fail(new Error(`LISTEN ${EVENTS_CHANNEL} connection ended`));
      });
      client.on('notification', (message) => {
        if (message.channel === EVENTS_CHANNEL) wake();
      });
      const close = async () => {
        closing = true;
        await client.end();
      };
      try {
        await client.connect();
        await client.query(`LISTEN ${EVENTS_CHANNEL}`);
      } catch (error) {
        await close().catch(() => {});
        throw error;
      }
      return close;
    },
  };
}
