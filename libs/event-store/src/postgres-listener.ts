import { listen } from '@orrery/postgres';
import { EVENTS_CHANNEL } from './schema.js';
import type { WakeSource } from './subscription-loop.js';

/** `application_name` of listening connections (visible in pg_stat_activity). */
export const LISTENER_APPLICATION = 'orrery-event-store-listener';

/**
 * Wakes a subscription on `NOTIFY orrery_events`, using a dedicated connection.
 * A lost connection fails the subscription.
 */
export function notificationWakeSource(connectionString: string): WakeSource {
  return {
    async open(wake, fail) {
      const listener = await listen(
        connectionString,
        EVENTS_CHANNEL,
        wake,
        fail,
        LISTENER_APPLICATION,
      );
      return () => listener.close();
    },
  };
}
