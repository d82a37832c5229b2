export {
  startEmbeddedPostgres,
  freePort,
  type EmbeddedPostgresHandle,
} from './embedded-postgres.js';
export { listen, type Listener } from './listen.js';
