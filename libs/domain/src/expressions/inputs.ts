/**
 * A response as expressions see it. `status` is `null` when there was no HTTP answer (a timeout,
 * a refused connection); expressions then see `status == 0` and `ok == false` (as given).
 * Header names are lower-case, as the caller gives them.
 */
export interface ResponseInput {
  readonly status: number | null;
  readonly ok: boolean;
  /** The parsed JSON body, or the text when it is not JSON. */
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string>>;
  readonly durationMs: number;
}

/** The cascade a run belongs to, as expressions see it (`cascade.root`, …). */
export interface CascadeInput {
  readonly root: string;
  readonly depth: number;
  readonly correlation: string | null;
}

/** A response as a CEL value of type `Response` (see `environments.ts`). */
export class ResponseValue {
  readonly status: bigint;
  readonly ok: boolean;
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string>>;
  readonly durationMs: number;

  constructor(response: ResponseInput) {
    // CEL ints are BigInts. A JSON body needs no conversion: its numbers are doubles, its
    // arrays lists and its objects maps, and CEL never mutates them.
    this.status = BigInt(response.status ?? 0);
    this.ok = response.ok;
    this.body = response.body ?? null;
    this.headers = response.headers;
    this.durationMs = response.durationMs;
  }
}

/** A cascade as a CEL value of type `Cascade`. */
export class CascadeValue {
  readonly root: string;
  readonly depth: bigint;
  readonly correlation: string | null;

  constructor(cascade: CascadeInput) {
    this.root = cascade.root;
    this.depth = BigInt(cascade.depth);
    this.correlation = cascade.correlation;
  }
}

/** The top-level variables of one response: `status`, `ok`, `body`, `headers`, `durationMs`. */
export const responseVariables = (response: ResponseInput): Record<string, unknown> => ({
  ...new ResponseValue(response),
});

/** The `upstream` variable: edge name → response. */
export const upstreamValue = (
  upstream: Readonly<Record<string, ResponseInput>>,
): Record<string, ResponseValue> => {
  const values: Record<string, ResponseValue> = {};
  for (const [name, response] of Object.entries(upstream)) {
    values[name] = new ResponseValue(response);
  }
  return values;
};
