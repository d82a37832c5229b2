import { z } from 'zod';
import { ProblemError } from '../problem.js';

export const ProblemSchema = z
  .object({
    type: z.string().describe('Stable problem type, e.g. /problems/not-found'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    refusal: z
      .object({
        proposalId: z.string(),
        rule: z.string().describe("The arbiter's rule, e.g. `pause_wins`, `precedence`"),
        detail: z.string(),
        winner: z
          .object({
            kind: z.enum(['hint', 'pause']),
            hintId: z.string().optional(),
            source: z.string().optional(),
            until: z.string().nullable().optional(),
          })
          .optional()
          .describe('The live hint or pause that won'),
        cooldownUntil: z.string().optional(),
      })
      .optional()
      .describe('For a proposal the arbiter refused (409): the rule and the decision that won'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

/** A problem answer, documented with the media type it is sent with. */
export const problemAnswer = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

/**
 * A response schema with a description of its own in the document, for a route whose statuses
 * mean different things (an idempotent create answers 201 when it made the resource, 200 when it
 * was there already). The schema, and so the handler's typing, stays the same.
 */
export const described = <T extends z.ZodType>(schema: T, description: string): T =>
  schema.meta({ description });

/** The problem answers every authenticated route may give. */
export const problemResponses = {
  400: problemAnswer(
    'Invalid request: a rule of the schema or of a description is broken, or a string holds a ' +
      'NUL or an unpaired surrogate; the field paths are in `errors`',
  ),
  401: problemAnswer('Missing, invalid or revoked API key'),
  403: problemAnswer("The API key's tenant is disabled"),
  404: problemAnswer("Not found (another tenant's ids answer this too)"),
  409: problemAnswer('Conflict with the current state'),
  412: problemAnswer('The state does not allow this now'),
  413: problemAnswer('Request body too large'),
  415: problemAnswer('Unsupported content type'),
  429: problemAnswer('Rate limit exceeded'),
} as const;

/**
 * Registers a request body as the component `id` with realistic examples,
 * type-checked against what the schema accepts (a test parses them too, so
 * refinements hold).
 */
export const requestBody = <T extends z.ZodType>(schema: T, id: string, examples: z.input<T>[]) =>
  schema.meta({ id, examples });

export const Id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, _ and -, at most 64')
  .describe('An identifier');

export const Instant = z.iso.datetime({ offset: true }).describe('ISO-8601 instant');

/** What `encodeCursor` makes: unpadded base64url (a position cursor is digits, a subset). */
const Cursor = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_-]+$/, 'a cursor from this API (base64url)');

export const PageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: Cursor.optional().describe(
    'The `nextCursor` of the previous page, as given (opaque: a cursor this API did not make ' +
      'answers 400)',
  ),
});

/** A page of `item`s; its example is a last page of the item's first example, when it has one. */
export const page = <T extends z.ZodType>(item: T) => {
  const schema = z.object({
    items: z.array(item),
    nextCursor: Cursor.nullable().describe('Where the next page starts; null on the last page'),
  });
  const examples: unknown = z.globalRegistry.get(item)?.examples;
  const example: unknown = Array.isArray(examples) ? examples[0] : undefined;
  return example === undefined
    ? schema
    : schema.meta({ examples: [{ items: [example], nextCursor: null }] });
};

/**
 * Registers an answer's schema as the component `id` with realistic examples, type-checked
 * against what it answers (a test validates them against the document too).
 */
export const responseBody = <T extends z.ZodType>(schema: T, id: string, examples: z.output<T>[]) =>
  schema.meta({ id, examples });

/** Cursors are opaque to clients: base64url of a JSON value. */
export const encodeCursor = (value: unknown): string =>
  Buffer.from(JSON.stringify(value)).toString('base64url');

export function decodeCursor<T>(cursor: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through
  }
  return undefined;
}

/** The position a page starts after; a cursor this API did not make is a 400 naming it. */
export function pageAfter<T>(cursor: string | undefined, schema: z.ZodType<T>): T | undefined {
  const after = decodeCursor(cursor, schema);
  if (cursor !== undefined && after === undefined) {
    throw new ProblemError('validation', 'cursor is not valid', [
      { field: 'querystring.cursor', message: 'not a cursor from this API' },
    ]);
  }
  return after;
}
