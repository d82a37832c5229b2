/**
 * `orrery explain <endpoint> [--at <ISO time|position>] [--recent N] [--tenant <id>] [--json]`:
 * the governor's decision for the endpoint's next run — now, or as the log stood at a position
 * or an instant — with every input and the recent events that produced them. The same read as
 * `GET /v1/endpoints/{id}/explain?at=`.
 */
import { parseArgs } from 'node:util';
import { ExplainQuery, explainEndpoint } from '@orrery/api';
import { explanationText } from './explain-text.js';
import {
  commonOptions,
  issueMessage,
  parseCommandLine,
  usageError,
  withReadDeps,
} from './read-command.js';

export const explainUsage =
  '  orrery explain <endpoint> [--at <ISO time|position>] [--recent <n>] [--tenant <id>] [--json]';

/** Runs `orrery explain …` (argv after the verb); answers the exit code. */
export async function runExplain(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(explainUsage, () =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...commonOptions, at: { type: 'string' }, recent: { type: 'string' } },
    }),
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (values.help) return usageError(explainUsage);
  const [endpointId] = positionals;
  if (endpointId === undefined || positionals.length > 1) {
    return usageError(explainUsage, endpointId ? 'one endpoint at a time' : 'name an endpoint');
  }
  const query = ExplainQuery.safeParse({ at: values.at, recent: values.recent });
  if (!query.success) {
    return usageError(
      explainUsage,
      issueMessage(query.error.issues, { at: '--at', recent: '--recent' }),
    );
  }
  const tenant = values.tenant ?? 'default';
  return withReadDeps(tenant, async (deps) => {
    const view = await explainEndpoint(deps, tenant, endpointId, query.data);
    console.log(values.json ? JSON.stringify(view, null, 2) : explanationText(view));
    return 0;
  });
}
