/** A real API (buildApp over createApiDeps) on the bench database, with one tenant and key. */
import { buildApp, createApiDeps, createApiKey, createTenant } from '@orrery/api';
import { SecretBox } from '@orrery/secrets';

export interface BenchApi {
  readonly app: Awaited<ReturnType<typeof buildApp>>;
  readonly deps: ReturnType<typeof createApiDeps>['deps'];
  readonly tenantId: string;
  /** Sends a request as the tenant; the status and the time it took (ms). */
  call(method: 'GET' | 'POST', url: string, body?: object): Promise<{ status: number; ms: number }>;
  close(): Promise<void>;
}

export async function startApi(connectionString: string): Promise<BenchApi> {
  const tenantId = 'bench';
  const { deps, close } = createApiDeps({
    connectionString,
    secrets: SecretBox.fromBase64(SecretBox.generateKey()),
    // Measured requests come one after another from one key; the limit is not under test.
    rateLimitPerMinute: 10_000_000,
  });
  const app = await buildApp(deps);
  await createTenant(deps.store, tenantId, 'Bench');
  const { key } = await createApiKey(deps.store, tenantId, 'bench');
  return {
    app,
    deps,
    tenantId,
    async call(method, url, body) {
      const started = performance.now();
      const response = await app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${key}` },
        ...(body === undefined ? {} : { payload: body }),
      });
      return { status: response.statusCode, ms: performance.now() - started };
    },
    async close() {
      await app.close();
      await close();
    },
  };
}
