/** A real API (buildApp over createApiDeps) on the bench database, with one tenant and key. */
import { buildApp, createApiDeps, createApiKey, createTenant } from '@orrery/api';
import { SecretBox } from '@orrery/secrets';
import type { Instrumentation } from '@orrery/telemetry';

export interface BenchApi {
  readonly app: Awaited<ReturnType<typeof buildApp>>;
  readonly deps: ReturnType<typeof createApiDeps>['deps'];
  readonly tenantId: string;
  /** The tenant key's `Authorization` header value (`Bearer ork_…`), for clients of a listening app. */
  readonly authorization: string;
  /**
   * Sends a request as the tenant; the status and the time it took (ms). A string body is sent
   * as it is, with `contentType` (default `application/json`).
   */
  call(
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    body?: object | string,
    contentType?: string,
  ): Promise<{ status: number; ms: number; body: string }>;
  close(): Promise<void>;
}

/** `instrumentation`: where the API records its request durations (default: nowhere). */
export async function startApi(
  connectionString: string,
  instrumentation?: Instrumentation,
): Promise<BenchApi> {
  const tenantId = 'bench';
  const { deps, close } = createApiDeps({
    connectionString,
    secrets: SecretBox.fromBase64(SecretBox.generateKey()),
    // Measured requests come one after another from one key; the limit is not under test.
    rateLimitPerMinute: 10_000_000,
    ...(instrumentation ? { instrumentation } : {}),
  });
  const app = await buildApp(deps);
  await createTenant(deps.store, tenantId, 'Bench');
  const { key } = await createApiKey(deps.store, tenantId, 'bench');
  return {
    app,
    deps,
    tenantId,
    authorization: `Bearer ${key}`,
    async call(method, url, body, contentType) {
      const started = performance.now();
      const response = await app.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${key}`,
          ...(contentType === undefined ? {} : { 'content-type': contentType }),
        },
        ...(body === undefined ? {} : { payload: body }),
      });
      return { status: response.statusCode, ms: performance.now() - started, body: response.body };
    },
    async close() {
      await app.close();
      await close();
    },
  };
}
