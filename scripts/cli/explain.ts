/**
 * What `orrery explain` does (its command line: explain-command.ts): the governor's decision for
 * the endpoint's next run — now, or as the log stood at a position or an instant — with every
 * input and the recent events that produced them. The same read as
 * `GET /v1/endpoints/{id}/explain?at=`.
 */
import { ExplainQuery, explainEndpoint } from '@orrery/api';
import type { Command } from 'commander';
import { explanationText } from './explain-text.js';
import { usageError } from './program.js';
import { issueMessage, withReadDeps } from './read-command.js';

export interface ExplainOptions {
  readonly at?: string;
  readonly recent?: string;
  readonly tenant: string;
  readonly json?: boolean;
}

/** Explains `endpointId`; answers the exit code (a wrong `--at` or `--recent` is a usage error). */
export async function runExplain(
  command: Command,
  endpointId: string,
  options: ExplainOptions,
): Promise<number> {
  const query = ExplainQuery.safeParse({ at: options.at, recent: options.recent });
  if (!query.success) {
    usageError(command, issueMessage(query.error.issues, { at: '--at', recent: '--recent' }));
  }
  return withReadDeps(options.tenant, async (deps) => {
    const view = await explainEndpoint(deps, options.tenant, endpointId, query.data);
    console.log(options.json ? JSON.stringify(view, null, 2) : explanationText(view));
    return 0;
  });
}
