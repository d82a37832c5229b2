export { parseEnv, ConfigError, envBoolean, envInt, commonEnv } from './env.js';
export { createLogger } from './logger.js';
export { runService } from './lifecycle.js';
export { distributedEnv } from './distributed-env.js';
