import { z } from 'zod';
import { Cron } from 'croner';
import { MAX_DURATION_MS } from '../limits.js';
import { FanIn } from '../graph/edge.js';

const AT_MOST_366_DAYS = `at most 366 days (${MAX_DURATION_MS} ms)`;

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** A header value; `secret` values are stored encrypted and shown as "***". */
export const HeaderValue = z.strictObject({
  value: z.string().regex(/^[^\r\n\0]*$/, 'a header value cannot contain CR, LF or NUL'),
  secret: z.boolean().default(false),
});

/** The URL as the WHATWG parser (and so the HTTP client) reads it; null when it does not parse. */
const parsedUrl = (url: string): URL | null => {
  try {
    return new URL(url);
  } catch {
    return null;
  }
};

/** True when a URL carries a user name or password (`http://user:pass@host/`). */
const hasCredentials = (url: string): boolean => {
  const parsed = parsedUrl(url);
  return parsed !== null && (parsed.username !== '' || parsed.password !== '');
};

export const HttpRequest = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']).default('GET'),
  // Credentials in a URL are never sent by the HTTP client and would show in clear in every
  // view and event: they belong in a secret header instead.
  // Not z.url(): its JSON Schema is `format: uri` (RFC 3986), which refuses the braces and spaces
  // of a cascade's templates (`?batch={{ upstream.orders.body.batch_id }}`), so a client checking
  // requests against the OpenAPI document would refuse valid ones. Parsed as the client sends it.
  url: z
    .string()
    .refine((url) => {
      const protocol = parsedUrl(url)?.protocol;
      return protocol === 'http:' || protocol === 'https:';
    }, 'an absolute http:// or https:// URL')
    .meta({
      description:
        'An absolute http(s) URL. A downstream of a cascade may template it with ' +
        '`{{ upstream.<edge>.body.… }}` (docs/cascades.md).',
    })
    .refine(
      (url) => !hasCredentials(url),
      'credentials in the URL are not allowed: send them in a secret header ' +
        '(e.g. "Authorization": {"value": "Basic …", "secret": true})',
    ),
  headers: z
    .record(
      z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'a header name is an HTTP token'),
      HeaderValue,
    )
    .default({}),
  body: z.string().optional(),
});
export type HttpRequest = z.infer<typeof HttpRequest>;

/**
 * A check of a string whose answer never changes, with its answers kept: building an
 * Intl.DateTimeFormat to try a zone costs about 100 µs here and a Cron about 45 µs, and a cron
 * endpoint's config is checked on every answer of the API that shows it (a page of 50 such
 * endpoints: 50 of each), every command, and every read of its registration. At most 1 000
 * answers are kept (the strings are user input), emptied when full, as governor/cron.ts does.
 */
function remembered(check: (value: string) => boolean): (value: string) => boolean {
  const answers = new Map<string, boolean>();
  return (value) => {
    let answer = answers.get(value);
    if (answer === undefined) {
      answer = check(value);
      if (answers.size >= 1_000) answers.clear();
      answers.set(value, answer);
    }
    return answer;
  };
}

const isValidZone = remembered((zone) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
});

const isValidCron = remembered((expression) => {
  try {
    new Cron(expression, { paused: true });
    return true;
  } catch {
    return false;
  }
});

/**
 * Baseline schedule: a fixed interval, a cron expression in UTC or an IANA zone, or `none`
 * (trigger-only: the endpoint runs only when asked — run now, hints, later cascades — and at
 * most `maxIntervalMs` apart when that is set).
 */
export const Baseline = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('interval'),
    everyMs: z
      .number()
      .int()
      .min(100)
      .max(30 * DAY),
  }),
  z.strictObject({
    kind: z.literal('cron'),
    expression: z.string().refine(isValidCron, 'not a valid cron expression'),
    timezone: z.string().refine(isValidZone, 'not a known IANA time zone').default('UTC'),
  }),
  z.strictObject({ kind: z.literal('none') }),
]);
export type Baseline = z.infer<typeof Baseline>;

/**
 * When a newly registered endpoint first runs:
 * - `next_slot` (the default for new endpoints): the baseline's first slot after registration —
 *   registration + the interval, or the cron's next occurrence;
 * - `immediately`: at registration, then on the baseline from there;
 * - `at`: at that instant (within 100 years), then on the baseline from there.
 *
 * Endpoints registered before the start policy existed have none and keep what they did then:
 * an interval baseline ran at registration, a cron one at its next occurrence.
 */
export const StartPolicy = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('next_slot') }),
  z.strictObject({ kind: z.literal('immediately') }),
  z.strictObject({ kind: z.literal('at'), at: z.iso.datetime({ offset: true }) }),
]);
export type StartPolicy = z.infer<typeof StartPolicy>;

/**
 * Everything that shapes an endpoint's schedule and call. Defaults: 10 s
 * timeout, 64 KiB response cap, failure backoff doubling up to 1 h, no jitter.
 */
export const EndpointConfig = z
  .strictObject({
    name: z.string().min(1).max(200),
    description: z.string().max(2000).default(''),
    request: HttpRequest,
    baseline: Baseline,
    /** When it first runs (see StartPolicy); absent only in configs from before it existed. */
    start: StartPolicy.optional(),
    /** Runs are never closer together than this, measured from the last run. */
    minIntervalMs: z.number().int().min(0).max(MAX_DURATION_MS, AT_MOST_366_DAYS).default(0),
    /** Runs are never further apart than this (unless paused). */
    maxIntervalMs: z.number().int().positive().max(MAX_DURATION_MS, AT_MOST_366_DAYS).optional(),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(5 * MINUTE)
      .default(10_000),
    responseCapBytes: z
      .number()
      .int()
      .min(0)
      .max(10 * 1024 * 1024)
      .default(64 * 1024),
    /** Upper bound of the deterministic jitter added to baseline runs. */
    jitterMs: z.number().int().min(0).max(DAY).default(0),
    backoff: z
      .strictObject({
        factor: z.number().min(1).max(10).default(2),
        maxMs: z
          .number()
          .int()
          .positive()
          .max(MAX_DURATION_MS, AT_MOST_366_DAYS)
          .default(60 * MINUTE),
      })
      .default({ factor: 2, maxMs: 60 * MINUTE }),
    /** How the endpoint's trigger edges combine (see FanIn); default: all of them. */
    fanIn: FanIn.optional(),
  })
  .refine((c) => c.maxIntervalMs === undefined || c.maxIntervalMs >= c.minIntervalMs, {
    message: 'maxIntervalMs must be at least minIntervalMs',
    path: ['maxIntervalMs'],
  });
export type EndpointConfig = z.infer<typeof EndpointConfig>;
export type EndpointConfigInput = z.input<typeof EndpointConfig>;
