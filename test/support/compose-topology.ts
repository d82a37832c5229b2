import { SecretBox } from '@orrery/secrets';
import {
  readCompose,
  replicasOf,
  serviceEnvironment,
  serviceOf,
  type ComposeFile,
} from './compose-file.js';
import type { ServiceName } from './service-process.js';

/** One compose service as local processes: which entry file, how many, with what environment. */
export interface LocalService {
  readonly compose: string;
  readonly service: ServiceName;
  readonly replicas: number;
  /** The compose environment, interpolated; connection settings are the caller's to replace. */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * The Orrery services of docker-compose.yml (the one-shot migrate left out), in file order, each
 * with its replica count and its environment as `docker compose up` would give it (with a fresh
 * ORRERY_SECRET_KEY), so a test can start the same topology as local processes.
 */
export function composeTopology(compose: ComposeFile = readCompose()): LocalService[] {
  const hostEnv = { ORRERY_SECRET_KEY: SecretBox.generateKey() };
  return Object.entries(compose.services).flatMap(([name, spec]) => {
    const service = serviceOf(spec.command);
    if (service === null) return [];
    const env = serviceEnvironment(spec, hostEnv);
    return [{ compose: name, service, replicas: replicasOf(spec), env }];
  });
}

/**
 * A compose environment for a local process: the database, Redis and queue prefix replaced,
 * and OpenTelemetry off (no collector runs here).
 */
export function localEnv(
  env: Readonly<Record<string, string>>,
  local: { databaseUrl: string; redisUrl: string; queuePrefix: string },
): Record<string, string> {
  const kept = Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith('OTEL_')));
  return {
    ...kept,
    DATABASE_URL: local.databaseUrl,
    REDIS_URL: local.redisUrl,
    QUEUE_PREFIX: local.queuePrefix,
    OTEL_SDK_DISABLED: 'true',
  };
}
