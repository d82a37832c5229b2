export { parseEnv, ConfigError, envBoolean, envInt, commonEnv, secretKeyEnv } from './env.js';
export { createLogger, type LineSummary, type LogFormat, type LoggerOptions } from './logger.js';
export { runService, type RunServiceOptions } from './lifecycle.js';
export { distributedEnv } from './distributed-env.js';
