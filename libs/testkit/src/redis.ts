import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, it } from 'vitest';

/** The Redis the integration tiers use: `REDIS_URL`, else the local default. */
export const redisUrl = (): string => process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A client that gives up at once: one connect attempt, no reconnects, no queued commands. */
const probeClient = (url: string, timeoutMs: number): Redis => {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // Failures surface as rejected promises; without a listener ioredis prints them.
  client.on('error', () => {});
  return client;
};

/**
 * Whether Redis at `url` answers PING within `timeoutMs`. One attempt, no
 * retries; the probe connection is always dropped.
 */
export async function redisAvailable(url = redisUrl(), timeoutMs = 1_000): Promise<boolean> {
  const client = probeClient(url, timeoutMs);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

let availability: Promise<boolean> | undefined;

/**
 * `describe` for suites that need Redis at {@link redisUrl}:
 * - Redis answers: a plain `describe(name, fn)`.
 * - No Redis and `CI` set: one test that fails, saying Redis is unreachable
 *   and CI requires it (a CI run never goes green by skipping).
 * - No Redis locally: the suite's tests are collected as skipped, and
 *   `SKIPPED <name>: no Redis at <url>` is printed.
 *
 * The PING happens when vitest collects the suite (vitest awaits an async
 * describe factory), once per test file. It is not a top-level await in this
 * module on purpose: the testkit index re-exports it, so a module-level probe
 * would ping Redis from every test file importing `@orrery/testkit`, unit
 * tests included.
 *
 * @example
 * describeWithRedis('BullmqQueue', () => {
 *   it('...', async () => { const queue = new BullmqQueue({ connection: redisUrl(), ... }); });
 * });
 */
export function describeWithRedis(name: string, fn: () => void): void {
  describe(name, async () => {
    const url = redisUrl();
    availability ??= redisAvailable(url);
    if (await availability) {
      fn();
    } else if (process.env['CI']) {
      it('has Redis', () => {
        throw new Error(`Redis is unreachable at ${url}, and CI requires it (set REDIS_URL)`);
      });
    } else {
      console.warn(`SKIPPED ${name}: no Redis at ${url}`);
      describe.skip(`no Redis at ${url}`, fn);
    }
  });
}

/**
 * A BullMQ key prefix no other test shares, e.g. `orrery-test-retry-1a2b3c4d5e6f`.
 * The label is reduced to `[a-z0-9-]`, so the prefix is also a literal SCAN pattern.
 */
export function uniquePrefix(label: string): string {
  const slug = label.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  return `orrery-test-${slug}-${randomBytes(6).toString('hex')}`;
}

/**
 * Deletes every key under `<prefix>:` (SCAN + UNLINK), at most `maxKeys`, and
 * returns how many it deleted. Refuses prefixes not made by {@link uniquePrefix},
 * so a slip can never empty a shared Redis.
 */
export async function deleteKeysWithPrefix(
  prefix: string,
  { url = redisUrl(), maxKeys = 100_000 }: { url?: string; maxKeys?: number } = {},
): Promise<number> {
  if (!/^orrery-test-[a-z0-9-]+$/.test(prefix)) {
    throw new Error(`deleteKeysWithPrefix: "${prefix}" is not a test prefix from uniquePrefix()`);
  }
  const client = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  client.on('error', () => {});
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
      if (deleted >= maxKeys) break;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return deleted;
}
