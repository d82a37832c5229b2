import { notifications, type WakeSource } from '@orrery/postgres';
import { EVENTS_CHANNEL } from './schema.js';

/** `application_name` of listening connections (visible in pg_stat_activity). */
export const LISTENER_APPLICATION = 'orrery-event-store-listener';

/** Wakes a subscription on `NOTIFY orrery_events`, using a dedicated connection. */
export const notificationWakeSource = (connectionString: string): WakeSource =>
  notifications(connectionString, EVENTS_CHANNEL, LISTENER_APPLICATION);
