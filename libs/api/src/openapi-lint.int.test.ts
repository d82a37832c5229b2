import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import type { ApiDeps } from './deps.js';

const cli = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js');
const config = fileURLToPath(new URL('../redocly.yaml', import.meta.url));

/** Loaded before the linter: any outbound connection is refused and reported on stderr. */
const noNetwork =
  'data:text/javascript,import net from "node:net";' +
  'net.Socket.prototype.connect = function () {' +
  ' process.stderr.write("NETWORK ATTEMPT\\n"); throw new Error("no network while linting"); };';

interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: { pointer: string }[];
}

/** Runs `redocly lint` on a document (written to a temp file), offline; answers its problems. */
async function lint(document: unknown): Promise<{ problems: LintProblem[]; stderr: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'orrery-openapi-lint-'));
  try {
    const file = join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(document, null, 2));
    const args = ['--import', noNetwork, cli, 'lint', file, '--config', config, '--format=json'];
    const env = {
      ...process.env,
      REDOCLY_TELEMETRY: 'off',
      REDOCLY_SUPPRESS_NOTIFICATIONS: 'true',
      REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
    };
    // The linter exits 1 when it finds errors; its report is on stdout either way.
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, {
      cwd: dir,
      env,
      timeout: 60_000,
    }).catch((error: { stdout?: string; stderr?: string }) => {
      if (!error.stdout) throw error;
      return { stdout: error.stdout, stderr: error.stderr ?? '' };
    });
    return { problems: (JSON.parse(stdout) as { problems: LintProblem[] }).problems, stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const describeProblem = (p: LintProblem) =>
  `${p.ruleId} at ${p.location[0]?.pointer ?? '?'}: ${p.message}`;

describe('the served OpenAPI document, linted by Redocly CLI', () => {
  let app: FastifyInstance;
  let document: Record<string, unknown>;
  beforeAll(async () => {
    // The document depends only on the route schemas: the deps are a stub.
    app = await buildApp({ now: Date.now } as unknown as ApiDeps);
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    document = response.json();
  });
  afterAll(() => app.close());

  it('has no errors (warnings are printed), and the linter never reaches for the network', async () => {
    const { problems, stderr } = await lint(document);
    const warnings = problems.filter((p) => p.severity !== 'error').map(describeProblem);
    if (warnings.length > 0) console.warn(`Redocly warnings:\n  ${warnings.join('\n  ')}`);
    expect(problems.filter((p) => p.severity === 'error').map(describeProblem)).toEqual([]);
    expect(stderr).not.toContain('NETWORK ATTEMPT');
  });

  it('fails a document that drops an operationId or carries an unused component', async () => {
    const broken = structuredClone(document) as {
      paths: Record<string, Record<string, { operationId?: string }>>;
      components: { schemas: Record<string, unknown> };
    };
    const getJob = broken.paths['/v1/jobs/{jobId}']?.['get'];
    expect(getJob?.operationId).toBe('getJob');
    delete getJob?.operationId;
    broken.components.schemas['Leftover'] = { type: 'string' };
    const { problems } = await lint(broken);
    expect(problems.filter((p) => p.severity === 'error').map((p) => p.ruleId)).toEqual(
      expect.arrayContaining(['operation-operationId', 'no-unused-components']),
    );
  });
});
