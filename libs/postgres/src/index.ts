export {
  startEmbeddedPostgres,
  freePort,
  type EmbeddedPostgresHandle,
  type EmbeddedPostgresOptions,
} from './embedded-postgres.js';
export { describeEmbeddedPostgresEvent, type EmbeddedPostgresEvent } from './events.js';
export type { RestartPolicy } from './supervisor.js';
export { UnreachableDataDirError } from './cluster-location.js';
export { connectionDefaults } from './connection-settings.js';
export { listen, type Listener } from './listen.js';
export { Sleeper } from './sleeper.js';
export { backoffMs } from './backoff.js';
export { WakeLoop, notifications, type WakeLoopOptions, type WakeSource } from './wake-loop.js';
