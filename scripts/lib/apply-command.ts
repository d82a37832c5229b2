/**
 * What `orrery apply` does (its command line: scripts/cli/apply-command.ts): applies a pipeline
 * document straight to the database, as `PUT /v1/pipelines/{name}` does (the same
 * `applyPipeline`): all or nothing, nothing appended when nothing changed, a dry run prints the
 * diff and appends nothing.
 */
import { readFile } from 'node:fs/promises';
import {
  applyPipeline,
  formatOfFile,
  parsePipelineText,
  ProblemError,
  tenantExists,
  type ApplyPipelineResult,
} from '@orrery/api';
import {
  createEventStoreDb,
  createEventStorePool,
  createPostgresEventStore,
  migrateDatabase,
} from '@orrery/event-store';
import { createSchedulingDb, schedulingMigrations } from '@orrery/scheduling';
import { SecretBox } from '@orrery/secrets';
import { connectForTool } from './connect.js';
import { diffLines } from './diff-lines.js';
import { secretBoxForTool } from './secret-key.js';

export interface ApplyOptions {
  /** The document's file, or `-` for stdin. `.json` is read as JSON, anything else as YAML. */
  readonly file: string;
  readonly dryRun?: boolean;
  /** Default `default`, the tenant `npm start` makes. */
  readonly tenant: string;
  /** The pipeline's name when the document names none (or to check it against). */
  readonly name?: string;
  /** Print the result (summary, diff, positions) as JSON. */
  readonly json?: boolean;
}

async function readText(file: string): Promise<string> {
  if (file !== '-') return readFile(file, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

/** Whether a document (as parsed, unchecked) marks any header value secret. */
const hasSecrets = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  (('secret' in value && value.secret === true) || Object.values(value).some(hasSecrets));

const nameOf = (document: unknown): string | undefined => {
  if (typeof document !== 'object' || document === null || !('name' in document)) return undefined;
  return typeof document.name === 'string' ? document.name : undefined;
};

function print(result: ApplyPipelineResult, tenant: string): void {
  console.log(`pipeline ${result.pipeline} (tenant ${tenant}): ${result.summary}`);
  for (const line of diffLines(result.diff)) console.log(`  ${line}`);
  if (result.positions) {
    console.log(`log positions ${result.positions.first}…${result.positions.last}`);
  }
}

/** Runs the command; answers the exit code (0 done, 1 refused, 2 a wrong command line). */
export async function runApply(options: ApplyOptions): Promise<number> {
  const text = await readText(options.file);
  let document: unknown;
  try {
    document = parsePipelineText(text, formatOfFile(options.file));
  } catch (error) {
    if (!(error instanceof ProblemError)) throw error;
    console.error(`orrery: ${options.file}: ${error.message}`);
    return 1;
  }
  const name = options.name ?? nameOf(document);
  if (!name) {
    console.error('orrery: the document has no `name`: add one, or pass --name <pipeline>');
    return 2;
  }
  const configured = await secretBoxForTool();
  if (!configured && hasSecrets(document)) {
    console.error(
      'orrery: the document has secret header values, and no key to seal them: set ' +
        "ORRERY_SECRET_KEY (the API's), or run where `npm start` keeps .orrery/secret.key",
    );
    return 1;
  }
  // Without secrets nothing is sealed or opened: any key will do.
  const secrets = configured ?? SecretBox.fromBase64(SecretBox.generateKey());
  const { url, embedded } = await connectForTool();
  const store = createPostgresEventStore({ connectionString: url, maxConnections: 2 });
  const events = createEventStoreDb(createEventStorePool({ connectionString: url, max: 2 }));
  const db = createSchedulingDb({ connectionString: url, max: 2 });
  try {
    await migrateDatabase(url, undefined, schedulingMigrations);
    if (!(await tenantExists(store, options.tenant))) {
      console.error(`orrery: tenant ${options.tenant} not found (pick one with --tenant)`);
      return 1;
    }
    const result = await applyPipeline(
      { store, db, events, secrets, now: Date.now },
      {
        tenantId: options.tenant,
        name,
        document,
        dryRun: options.dryRun === true,
        metadata: { tenantId: options.tenant, actor: { kind: 'user', id: 'cli' } },
      },
    );
    if (options.json) console.log(JSON.stringify(result, null, 2));
    else print(result, options.tenant);
    return 0;
  } catch (error) {
    if (!(error instanceof ProblemError)) throw error;
    console.error(`orrery: ${error.message}`);
    const issues = error.errors ?? [];
    // One issue is the message already; several are listed, each at its path in the document.
    if (issues.length > 1)
      for (const { field, message } of issues) console.error(`  ${field}: ${message}`);
    return 1;
  } finally {
    await store.close();
    await events.destroy();
    await db.destroy();
    await embedded?.stop();
  }
}
