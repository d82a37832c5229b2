import type { components, paths } from '@orrery/api-client';
import createClient from 'openapi-fetch';

/** A schema of the API by its component name, e.g. `S<'Job'>`. */
export type S<Name extends keyof components['schemas']> = components['schemas'][Name];

const KEY = 'orrery.apiKey';

/** The API key lives in sessionStorage only (never in the URL): closing the tab signs out. */
export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  signIn: (key: string) => sessionStorage.setItem(KEY, key),
  signOut: () => sessionStorage.removeItem(KEY),
};

/** The typed client (paths from the API's OpenAPI document), on the origin that served the page. */
export const api = createClient<paths>({ baseUrl: location.origin });
api.use({
  onRequest({ request }) {
    const key = session.key();
    if (key) request.headers.set('authorization', `Bearer ${key}`);
    return request;
  },
});

/** A problem answer (RFC 9457) as the UI shows it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly problem: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The body of a 2xx answer, or an {@link ApiError} with the problem's detail. */
export async function ok<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) {
    const problem = (error ?? {}) as Record<string, unknown>;
    const text = String(problem['detail'] ?? problem['title'] ?? response.statusText);
    if (response.status === 401) session.signOut();
    throw new ApiError(response.status, text, problem);
  }
  return data as T;
}

/** Relative time for people: "in 3 s", "2 min ago". */
export function relative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const ms = Date.parse(iso) - now;
  const abs = Math.abs(ms);
  const text =
    abs < 1_000
      ? 'now'
      : abs < 60_000
        ? `${Math.round(abs / 1_000)} s`
        : abs < 3_600_000
          ? `${Math.round(abs / 60_000)} min`
          : `${Math.round(abs / 3_600_000)} h`;
  if (text === 'now') return text;
  return ms > 0 ? `in ${text}` : `${text} ago`;
}

/** A time as a person reads it (local, seconds). */
export const clock = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) : '—';
