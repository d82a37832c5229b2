export {
  PostgresEventStore,
  createPostgresEventStore,
  ORDERING_LOCK_KEY,
  type PostgresEventStoreOptions,
} from './postgres-event-store.js';
export { EVENT_STORE_ATTRIBUTES, EVENT_STORE_METRICS } from './event-store-metrics.js';
export { InMemoryEventStore, type InMemoryEventStoreOptions } from './memory-event-store.js';
export { UnreadableEventError } from './stored-event.js';
export { preparingPool } from './prepared-statements.js';
export { TimeOrderError } from './append-plan.js';
export { handleCommand, type CommandOptions, type CommandResult } from './command-handler.js';
export {
  migrateToLatest,
  migrateDatabase,
  type MigrationLog,
  type MigrationSet,
} from './migrator.js';
export {
  SERVICE_ROLE,
  connectionRole,
  ensureServiceLogin,
  type ConnectionRole,
  type ServiceLogin,
} from './service-role.js';
export {
  createEventStorePool,
  createEventStoreDb,
  eventStoreTypes,
} from './postgres-connection.js';
export {
  EVENTS_CHANNEL,
  TENANTS_CHANNEL,
  type EventStoreSchema,
  type EventsTable,
  type EventRow,
  type NewEventRow,
} from './schema.js';
export { fromRow as decodeEventRow } from './postgres-statements.js';
