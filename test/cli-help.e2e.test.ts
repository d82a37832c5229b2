import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { useTestDatabase } from '@orrery/testkit';
import { describe, expect, it } from 'vitest';
import { orreryCli } from './support/orrery-cli.js';

// What a new user meets first: `--help` for every verb, a wrong command line refused with a
// suggestion (exit 2), `--json` that parses, and `npx orrery` through the workspace's bin.
const db = useTestDatabase();
const orrery = orreryCli(() => db().url);
const root = fileURLToPath(new URL('..', import.meta.url));

/** `npx orrery …` from the repository's root, as a user types it. */
async function npxOrrery(...args: string[]): Promise<{ code: number; stdout: string }> {
  const env = { ...process.env, DATABASE_URL: db().url };
  return promisify(execFile)('npx', ['orrery', ...args], { cwd: root, env, timeout: 120_000 })
    .then(({ stdout }) => ({ code: 0, stdout }))
    .catch((error: { code?: number; stdout?: string }) => ({
      code: error.code ?? -1,
      stdout: error.stdout ?? '',
    }));
}

/** Each verb and what its own help must name (its options, or its arguments). */
const verbs: readonly (readonly [string, readonly string[]])[] = [
  ['tenant create', ['<id>', '--name']],
  ['tenant list', ['--json']],
  ['tenant show', ['<id>', '--json']],
  ['tenant disable', ['<id>', '--reason']],
  ['tenant enable', ['<id>', '--reason']],
  ['key create', ['<tenantId>', '--name', '--json']],
  ['key revoke', ['<tenantId>', '<keyId>']],
  ['apply', ['--file', '--dry-run', '--tenant', '--json']],
  ['explain', ['<endpoint>', '--at', '--recent', '--json']],
  ['history', ['<endpoint|job>', '--since', '--limit', '--json']],
  ['events tail', ['--follow', '--type', '--after', '--json']],
  ['replay', ['--to', '--swap', '--verify', '--workers', '--json']],
  ['what-if', ['--from', '--to', '--set', '--remove-edge', '--json']],
  ['mcp', ['--url', '--key', 'ORRERY_API_KEY']],
];

describe('orrery --help', () => {
  it("prints each verb's own usage, options and examples, exit 0", async () => {
    const answers = await Promise.all(verbs.map(([verb]) => orrery(...verb.split(' '), '--help')));
    answers.forEach((answer, i) => {
      const [verb, names] = verbs[i] ?? ['', []];
      expect(answer, verb).toMatchObject({ code: 0 });
      expect(answer.stdout, verb).toMatch(new RegExp(`^Usage: orrery ${verb} `));
      for (const name of names) expect(answer.stdout, verb).toContain(name);
      expect(answer.stdout, verb).toContain(`Examples:\n  $ `);
      // Not the global usage: no other verb's synopsis.
      expect(answer.stdout, verb).not.toMatch(/^ {2}tenant /m);
    });
  });

  it('answers `orrery help <verb>` as `orrery <verb> --help`', async () => {
    const [help, flag] = await Promise.all([
      orrery('help', 'what-if'),
      orrery('what-if', '--help'),
    ]);
    expect(help).toMatchObject({ code: 0, stdout: flag.stdout });
  });
});

describe('a wrong command line', () => {
  it('is refused with exit 2, naming what is wrong and suggesting the nearest verb or option', async () => {
    const [verb, sub, option, missing, missingSecond, value] = await Promise.all([
      orrery('histroy', 'demo-orders'),
      orrery('events', 'tial'),
      orrery('history', 'demo-orders', '--jsn'),
      orrery('explain'),
      orrery('key', 'revoke', 'acme'),
      orrery('replay', '--workers', 'two'),
    ]);
    expect(verb).toMatchObject({ code: 2, stdout: '' });
    expect(verb.stderr).toMatch(/^orrery: unknown command 'histroy'\n\(Did you mean history\?\)/);
    expect(sub).toMatchObject({ code: 2 });
    expect(sub.stderr).toContain('(Did you mean tail?)');
    expect(option).toMatchObject({ code: 2 });
    expect(option.stderr).toMatch(/unknown option '--jsn'\n\(Did you mean --json\?\)/);
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.stderr).toMatch(
      /^orrery: missing required argument 'endpoint'\nusage:\n {2}orrery explain /,
    );
    expect(missingSecond).toMatchObject({ code: 2 });
    expect(missingSecond.stderr).toMatch(/missing required argument 'keyId'/);
    expect(value).toMatchObject({ code: 2 });
    expect(value.stderr).toContain('--workers: two is not a number of threads from 0 to 16');
  });
});

describe('npx orrery and --json', () => {
  it('runs through the bin; tenants, keys, apply and replay print JSON that parses', async () => {
    const help = await npxOrrery('--help');
    expect(help).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: orrery /) });

    expect((await npxOrrery('tenant', 'create', 'acme', '--name', 'Acme')).code).toBe(0);
    const [list, key, ghost] = await Promise.all([
      npxOrrery('tenant', 'list', '--json'),
      npxOrrery('key', 'create', 'acme', '--name', 'ci', '--json'),
      npxOrrery('tenant', 'show', 'ghost', '--json'),
    ]);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ id: 'acme', name: 'Acme' }),
    ]);
    const created = JSON.parse(key.stdout) as { keyId: string; key: string };
    expect(created).toMatchObject({ tenantId: 'acme', name: 'ci' });
    expect(created.key).toContain(created.keyId);
    expect(ghost).toMatchObject({ code: 1, stdout: '' });

    const dir = await mkdtemp(join(tmpdir(), 'orrery-help-'));
    try {
      const file = join(dir, 'pipeline.yaml');
      await writeFile(
        file,
        'name: tiny\njobs:\n  - id: tiny-job\n    endpoints:\n      - id: ping\n' +
          '        name: Ping\n        request: { url: http://127.0.0.1:9/ping }\n' +
          '        baseline: { kind: interval, everyMs: 60000 }\n',
      );
      const [shown, dry, replay] = await Promise.all([
        orrery('tenant', 'show', 'acme', '--json'),
        orrery('apply', '-f', file, '--tenant', 'acme', '--dry-run', '--json'),
        orrery('replay', '--tenant', 'acme', '--json'),
      ]);
      expect(JSON.parse(shown.stdout)).toMatchObject({
        id: 'acme',
        keys: [{ id: created.keyId, name: 'ci' }],
      });
      expect(dry, dry.stderr).toMatchObject({ code: 0 });
      expect(JSON.parse(dry.stdout)).toMatchObject({ pipeline: 'tiny' });
      expect(JSON.parse(replay.stdout)).toMatchObject({ tables: expect.any(Array) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // Four rounds of processes that each load the libraries and connect: minutes on a busy machine.
  }, 300_000);
});
