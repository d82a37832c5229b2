import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { useTestDatabase } from '@orrery/testkit';
import { describe, expect, it } from 'vitest';

// The `orrery` CLI as an operator runs it, against a fresh database in DATABASE_URL. Each run
// starts tsx and loads the libraries (seconds on a busy machine): the calls are kept few.
const db = useTestDatabase();
const tsx = createRequire(import.meta.url).resolve('tsx/cli');
const script = fileURLToPath(new URL('../scripts/orrery.ts', import.meta.url));
const SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

/** Runs `orrery …`; answers its exit code and output. */
async function orrery(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, DATABASE_URL: db().url, ORRERY_SECRET_KEY: SECRET_KEY };
  return promisify(execFile)(process.execPath, [tsx, script, ...args], { env, timeout: 60_000 })
    .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }))
    .catch((error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? -1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }));
}

describe('orrery tenant', () => {
  it('lists, shows, disables and enables tenants', async () => {
    expect((await orrery('tenant', 'create', 'acme', '--name', 'Acme')).code).toBe(0);
    const key = await orrery('key', 'create', 'acme', '--name', 'ci');
    const keyId = /key ([0-9a-f]{12}) created/.exec(key.stdout)?.[1];
    expect(keyId).toBeDefined();

    const disabled = await orrery('tenant', 'disable', 'acme', '--reason', 'invoice unpaid');
    expect(disabled).toMatchObject({ code: 0, stdout: expect.stringMatching(/acme disabled/) });
    const list = await orrery('tenant', 'list');
    expect(list.code).toBe(0);
    expect(
      list.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('\t').slice(0, 2)),
    ).toEqual([['acme', 'disabled']]);
    const shown = await orrery('tenant', 'show', 'acme');
    expect(shown.stdout).toMatch(
      /tenant acme \(Acme\): disabled since \S+ by system:cli \(invoice unpaid\)/,
    );
    expect(shown.stdout).toMatch(new RegExp(`${keyId}  ci  created \\S+\\n`));

    const enabled = await orrery('tenant', 'enable', 'acme');
    expect(enabled).toMatchObject({ code: 0, stdout: expect.stringMatching(/acme enabled/) });
  });

  it('says what went wrong: an unknown tenant (1), a wrong command line (2)', async () => {
    const missing = await orrery('tenant', 'show', 'ghost');
    expect(missing).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/tenant ghost not found/),
    });
    const wrong = await orrery('tenant', 'disable');
    expect(wrong).toMatchObject({ code: 2, stderr: expect.stringMatching(/usage:/) });
  });
});

describe('orrery apply', () => {
  const pipeline = (everyMs: number) => `
name: nightly
jobs:
  - id: extract-job
    endpoints:
      - id: extract
        name: Extract
        request:
          url: http://127.0.0.1:9/extract
          headers:
            authorization: { value: "Bearer t0ken", secret: true }
        baseline: { kind: interval, everyMs: ${everyMs} }
  - id: load-job
    endpoints:
      - id: load
        name: Load
        request: { url: http://127.0.0.1:9/load }
        baseline: { kind: none }
        dependsOn: [{ upstream: extract }]
`;

  it('prints the diff of a dry run, applies, then has nothing to apply; a bad document exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'orrery-apply-'));
    try {
      const file = join(dir, 'pipeline.yaml');
      await writeFile(file, pipeline(60_000));
      expect((await orrery('tenant', 'create', 'ops')).code).toBe(0);
      const dry = await orrery('apply', '-f', file, '--tenant', 'ops', '--dry-run');
      expect(dry, dry.stderr).toMatchObject({ code: 0 });
      expect(dry.stdout).toMatch(/pipeline nightly \(tenant ops\): dry run, nothing appended/);
      expect(dry.stdout).toMatch(
        /\+ endpoint extract\n {2}\+ endpoint load\n {2}\+ edge extract\.load/,
      );

      const applied = await orrery('apply', '-f', file, '--tenant', 'ops');
      expect(applied).toMatchObject({
        code: 0,
        stdout: expect.stringMatching(/: applied jobs \+2/),
      });
      const again = await orrery('apply', '-f', file, '--tenant', 'ops');
      expect(again).toMatchObject({ code: 0, stdout: expect.stringMatching(/nothing to apply/) });

      await writeFile(file, pipeline(5));
      const bad = await orrery('apply', '-f', file, '--tenant', 'ops');
      expect(bad).toMatchObject({
        code: 1,
        stderr: expect.stringMatching(/jobs\.0\.endpoints\.0\.baseline\.everyMs/),
      });
      const noFile = await orrery('apply', '--tenant', 'ops');
      expect(noFile).toMatchObject({ code: 2, stderr: expect.stringMatching(/usage:/) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
