import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './generated/schema.js';

export type { components, operations, paths } from './generated/schema.js';

/** A schema of the API by its component name, e.g. `Schema<'Job'>` or `Schema<'Problem'>`. */
export type Schema<Name extends keyof components['schemas']> = components['schemas'][Name];

/** The typed client: `GET`, `POST`, … checked against the API's OpenAPI document. */
export type OrreryClient = Client<paths>;

export interface OrreryClientOptions {
  /** Where the API listens, e.g. `http://127.0.0.1:3000` (paths carry `/v1`). */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`: a tenant's `ork_…` key, or the admin key for `/v1/admin`. */
  readonly apiKey: string;
  /** The fetch to use. Default: the global `fetch`. */
  readonly fetch?: (request: Request) => Promise<Response>;
}

/**
 * A typed client for the Orrery control plane, built on openapi-fetch from the
 * generated `paths`. Every call answers `{ data, error, response }`: `data` is
 * the typed 2xx body, `error` the typed problem (RFC 9457) of a 4xx/5xx.
 *
 * @example
 * const orrery = createOrreryClient({ baseUrl: 'http://127.0.0.1:3000', apiKey });
 * const { data: job, error } = await orrery.POST('/v1/jobs', { body: { name: 'nightly' } });
 * if (error) throw new Error(`${error.status} ${error.detail}`);
 * await orrery.POST('/v1/jobs/{jobId}/pause', { params: { path: { jobId: job.id } }, body: {} });
 */
export function createOrreryClient(options: OrreryClientOptions): OrreryClient {
  return createClient<paths>({
    baseUrl: options.baseUrl,
    headers: { authorization: `Bearer ${options.apiKey}` },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}
