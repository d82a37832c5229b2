import type { EndpointConfig } from '../endpoint/config.js';
import { fail, type Result } from '../errors.js';
import {
  checkFanIn,
  checkTemplate,
  isTemplate,
  type ExpressionError,
} from '../expressions/index.js';
import type { EdgeDefinition } from './edge.js';

/** What of a downstream's config names its edges: its fan-in and its request's templates. */
export type DownstreamConfig = Pick<EndpointConfig, 'fanIn' | 'request'>;

const refused = (
  endpointId: string,
  field: string,
  what: string,
  error: ExpressionError,
): Result<never> =>
  fail(
    'unprocessable',
    `${what} of ${endpointId}, at position ${error.position}: ${error.message}`,
    {
      field,
      details: { endpointId, position: error.position, expression: error.expression },
    },
  );

/**
 * Checks that a downstream's fan-in and request templates name only edges it has: the fan-in
 * over the names of its `trigger` edges (the ones it combines), templates (URL with its query,
 * header values, body) over the names of all its edges. Secret header values are sealed and
 * not read. Refusals are `unprocessable`, with the config field (`config.fanIn.combine`,
 * `config.request.url`, `config.request.headers.<name>.value`, `config.request.body`) and the
 * expression's position in `details`.
 *
 * @example checkReferences('load', config, edges) // null when every name is known
 */
export function checkReferences(
  endpointId: string,
  config: DownstreamConfig,
  edges: readonly EdgeDefinition[],
): Result<never> | null {
  const triggers = edges.filter((edge) => edge.mode === 'trigger').map((edge) => edge.name);
  const combine = config.fanIn?.combine;
  const fanIn = combine === undefined ? null : checkFanIn(combine, triggers);
  if (fanIn) return refused(endpointId, 'config.fanIn.combine', 'the fan-in', fanIn);
  const names = edges.map((edge) => edge.name);
  const texts: [field: string, text: string | undefined][] = [
    ['config.request.url', config.request.url],
    ...Object.entries(config.request.headers)
      .filter(([, header]) => !header.secret)
      .map(([name, header]): [string, string] => [
        `config.request.headers.${name}.value`,
        header.value,
      ]),
    ['config.request.body', config.request.body],
  ];
  for (const [field, text] of texts) {
    const error = text !== undefined && isTemplate(text) ? checkTemplate(text, names) : null;
    if (error) return refused(endpointId, field, `a template (${field.slice(7)})`, error);
  }
  return null;
}
