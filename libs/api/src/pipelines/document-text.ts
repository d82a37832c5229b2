import { parseDocument, stringify } from 'yaml';
import { ProblemError } from '../problem.js';

/** How a pipeline document is written. YAML is read with its 1.2 core schema (no custom tags). */
export type DocumentFormat = 'json' | 'yaml';

/** Media types that carry a YAML document (`application/yaml` is the registered one). */
export const YAML_MEDIA_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

/** Aliases a YAML document may hold: enough for anchors, too few to blow up ("billion laughs"). */
const MAX_ALIASES = 100;

const unreadable = (format: DocumentFormat, message: string) =>
  new ProblemError('validation', `the document is not valid ${format.toUpperCase()}: ${message}`, [
    { field: '(document)', message },
  ]);

/**
 * A pipeline document's text as a JSON value, to be checked by `parsePipelineDocument`. YAML is
 * parsed with `yaml` (eemeli/yaml, the maintained YAML 1.2 parser): one document only, unique
 * keys, at most 100 aliases; an error names its line and column.
 *
 * @throws ProblemError (validation) when the text is not one well-formed document.
 */
export function parsePipelineText(text: string, format: DocumentFormat): unknown {
  if (format === 'json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw unreadable(format, error instanceof Error ? error.message : String(error));
    }
  }
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const [error] = document.errors;
  // A pretty error's first line ends with where it is: `… at line 2, column 3:`.
  if (error)
    throw unreadable(format, (error.message.split('\n')[0] ?? error.code).replace(/:$/, ''));
  try {
    return document.toJS({ maxAliasCount: MAX_ALIASES }) as unknown;
  } catch (cause) {
    throw unreadable(format, cause instanceof Error ? cause.message : String(cause));
  }
}

/** The format of a file by its name: `.json` is JSON, anything else YAML (JSON is YAML too). */
export const formatOfFile = (path: string): DocumentFormat =>
  path.toLowerCase().endsWith('.json') ? 'json' : 'yaml';

/** A pipeline document as YAML (block style), e.g. to write one out for `orrery apply -f`. */
export const formatPipelineYaml = (document: unknown): string =>
  stringify(document, { lineWidth: 0 });
