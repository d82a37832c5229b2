import { createHash } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { OrreryClient, Schema } from '@orrery/api-client';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { problemError, toolError, toolResult } from '../results.js';

type Applied = Schema<'PipelineApply'>;
/** The body as the client types it; the API checks it as a whole (every issue at its path). */
type PipelineBody = Schema<'PipelineDocumentInput'>;

/**
 * What a dry run showed: the document's digest and the diff against what was live. A real apply
 * must name it, and is refused when a fresh dry run shows anything else.
 */
export const planToken = (dryRun: Applied): string =>
  createHash('sha256')
    .update(JSON.stringify([dryRun.pipeline, dryRun.digest, dryRun.diff]))
    .digest('hex')
    .slice(0, 32);

const diffText = (applied: Applied): string => {
  const { diff } = applied;
  const lines = [applied.summary];
  for (const [kind, part] of Object.entries(diff)) {
    if (!part || typeof part !== 'object') continue;
    for (const [change, ids] of Object.entries(part)) {
      if (Array.isArray(ids) && ids.length > 0) {
        const names = ids.map((id: unknown) =>
          typeof id === 'object' && id !== null && 'id' in id ? String(id.id) : String(id),
        );
        lines.push(`${kind} ${change}: ${names.join(', ')}`);
      }
    }
  }
  return lines.join('\n');
};

/** The document's text (YAML or JSON) as a value; a syntax error names its line and column. */
function readDocument(text: string): { value: PipelineBody } | { error: string } {
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const [error] = document.errors;
  if (error) return { error: (error.message.split('\n')[0] ?? error.code).replace(/:$/, '') };
  try {
    const value: PipelineBody = document.toJS({ maxAliasCount: 100 });
    return { value };
  } catch (cause) {
    return { error: cause instanceof Error ? cause.message : String(cause) };
  }
}

/** Applying a pipeline document: a dry run first, then the apply of exactly what it showed. */
export function registerPipelineTool(server: McpServer, api: OrreryClient): void {
  server.registerTool(
    'apply_pipeline',
    {
      title: 'Apply a pipeline (dry run first)',
      description:
        'Applies a pipeline document (jobs, endpoints and the edges between them; YAML or JSON ' +
        'text, as PUT /v1/pipelines/{name} takes it). Call it first with dryRun true (the ' +
        'default): nothing changes, and the answer is the diff against what is live and a ' +
        'planToken. To apply, call again with the same document, dryRun false and that ' +
        'planToken; it is refused when what would change is no longer what the dry run showed. ' +
        'All or nothing; what an earlier apply created and the document drops is archived.',
      inputSchema: {
        name: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/)
          .describe('The pipeline name (letters, digits, _ and -)'),
        document: z.string().min(1).describe('The pipeline document, YAML or JSON'),
        dryRun: z.boolean().default(true).describe('true (default): only show the diff'),
        planToken: z
          .string()
          .optional()
          .describe('dryRun false: the planToken of the dry run of this same document'),
      },
      annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: false },
    },
    async ({ name, document, dryRun, planToken: token }) => {
      const parsed = readDocument(document);
      if ('error' in parsed) return toolError(`document: not valid YAML or JSON: ${parsed.error}`);
      const put = async (dry: boolean) => {
        const answer = await api.PUT('/v1/pipelines/{name}', {
          params: { path: { name }, query: { dryRun: dry ? 'true' : 'false' } },
          body: parsed.value,
        });
        return answer;
      };
      const preview = await put(true);
      if (preview.error !== undefined || preview.data === undefined) {
        return problemError(preview.error, preview.response, 'document');
      }
      const plan = planToken(preview.data);
      if (dryRun) {
        return toolResult(
          `dry run of pipeline ${name}: ${diffText(preview.data)}\n` +
            (preview.data.changed
              ? `to apply it, call apply_pipeline again with dryRun false and planToken ${plan}`
              : 'nothing to apply'),
          { ...preview.data, planToken: plan },
        );
      }
      if (token === undefined) {
        return toolError('planToken: run a dry run first and pass its planToken', {
          fields: [{ field: 'planToken', message: 'required when dryRun is false' }],
          dryRun: { ...preview.data, planToken: plan },
        });
      }
      if (token !== plan) {
        return toolError(
          'planToken: what the apply would change is not what that dry run showed (the ' +
            `document or the live state changed); review this diff:\n${diffText(preview.data)}\n` +
            `and apply with planToken ${plan}`,
          {
            fields: [{ field: 'planToken', message: 'does not match a dry run of this state' }],
            dryRun: { ...preview.data, planToken: plan },
          },
        );
      }
      const applied = await put(false);
      if (applied.error !== undefined || applied.data === undefined) {
        return problemError(applied.error, applied.response, 'document');
      }
      return toolResult(`applied pipeline ${name}: ${diffText(applied.data)}`, applied.data);
    },
  );
}
