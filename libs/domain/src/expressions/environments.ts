import { Environment } from '@marcbachmann/cel-js';
import { BoundedCache } from './bounded-cache.js';
import { EXPRESSION_LIMITS } from './expression-limits.js';
import { CascadeValue, ResponseValue } from './inputs.js';

const OPTIONS = {
  // `[upstream.a.body.id, 1]` is a list<dyn>, as in cel-go, rather than a type error.
  homogeneousAggregateLiterals: false,
  limits: { maxAstNodes: EXPRESSION_LIMITS.maxAstNodes, maxDepth: EXPRESSION_LIMITS.maxDepth },
};

const RESPONSE_FIELDS = {
  status: 'int',
  ok: 'bool',
  body: 'dyn',
  headers: 'map<string, string>',
  durationMs: 'double',
} as const;

/** The parent of the typed environments: it knows the `Response` and `Cascade` types. */
const typed = new Environment(OPTIONS)
  .registerType('Response', { ctor: ResponseValue, fields: { ...RESPONSE_FIELDS } })
  .registerType('Cascade', {
    ctor: CascadeValue,
    fields: { root: 'string', depth: 'int', correlation: 'dyn' },
  });

const withResponse = (env: Environment): Environment => {
  for (const [name, type] of Object.entries(RESPONSE_FIELDS)) env.registerVariable(name, type);
  return env;
};

/** Conditions: `status`, `ok`, `body`, `headers`, `durationMs`, `upstream`. */
export const conditionEnvironment = withResponse(typed.clone()).registerVariable(
  'upstream',
  'map<string, Response>',
);

/**
 * Correlations: the response variables plus `cascade`. Not `upstream`: a correlation is
 * evaluated over one response, so it would always be empty.
 */
export const correlationEnvironment = withResponse(typed.clone()).registerVariable(
  'cascade',
  'Cascade',
);

/** Template parts: `upstream` and `cascade`. */
export const templateEnvironment = typed
  .clone()
  .registerVariable('upstream', 'map<string, Response>')
  .registerVariable('cascade', 'Cascade');

const fanInBase = new Environment(OPTIONS);
const fanInEnvironments = new BoundedCache<string, Environment>(100);

/** The identity of a set of edge names (order and repeats do not matter). */
export const edgeSetKey = (edgeNames: readonly string[]): string =>
  [...new Set(edgeNames)].sort().join(',');

/**
 * Fan-ins: each edge name is a `bool` variable. A name CEL cannot declare (a reserved word, a
 * built-in such as `int`) is left out, so an expression naming it fails to check.
 */
export const fanInEnvironment = (edgeNames: readonly string[]): Environment =>
  fanInEnvironments.getOrSet(edgeSetKey(edgeNames), () => {
    const env = fanInBase.clone();
    for (const name of new Set(edgeNames)) {
      try {
        env.registerVariable(name, 'bool');
      } catch {
        // not a name CEL can declare; see above
      }
    }
    return env;
  });
