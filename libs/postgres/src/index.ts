export {
  startEmbeddedPostgres,
  freePort,
  type EmbeddedPostgresHandle,
} from './embedded-postgres.js';
