import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
/** Where the repository installed a package (its folder, found through its package.json). */
const installed = (name: string) => dirname(require.resolve(`${name}/package.json`));

/** The README's worked example: its first TypeScript block. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(join(packageDir, 'README.md'), 'utf8');
  const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!example) throw new Error('the README has no ```ts example');
  return example;
}

/** Calls the API can refuse only at run time are fine; these must not even compile. */
const misuse = `import { createOrreryClient } from '@orrery/api-client';
const orrery = createOrreryClient({ baseUrl: 'http://127.0.0.1:3000', apiKey: 'k' });
// @ts-expect-error an unknown path
void orrery.GET('/v1/nope');
// @ts-expect-error a one-shot hint's runAt is an instant, not a number
void orrery.POST('/v1/endpoints/{endpointId}/hints', { params: { path: { endpointId: 'e' } }, body: { kind: 'oneShot', runAt: 42 } });
// @ts-expect-error an event type outside the catalogue
void orrery.GET('/v1/events', { params: { query: { type: ['Nope'] } } });
`;

/** Runs in the consumer: one call through a stub fetch, and the document next to the types. */
const smoke = `import { createOrreryClient } from '@orrery/api-client';
import document from '@orrery/api-client/openapi.json' with { type: 'json' };
const seen = [];
const orrery = createOrreryClient({
  baseUrl: 'http://orrery.test',
  apiKey: 'ork_t.k',
  fetch: async (request) => {
    seen.push({ url: request.url, authorization: request.headers.get('authorization') });
    return Response.json({ id: 'nightly', name: 'Nightly' });
  },
});
const { data } = await orrery.GET('/v1/jobs/{jobId}', { params: { path: { jobId: 'nightly' } } });
console.log(JSON.stringify({ data, seen, title: document.info.title }));
`;

describe('the packed @orrery/api-client, used from outside the repository', () => {
  let consumer = '';
  beforeAll(async () => {
    consumer = await mkdtemp(join(tmpdir(), 'orrery-client-consumer-'));
    // `npm pack` builds first (prepack) and packs what `files` lists, as a publish would.
    await run('npm', ['pack', '--offline', '--pack-destination', consumer], {
      cwd: packageDir,
      env: { ...process.env, npm_config_update_notifier: 'false' },
    });
    const tarball = (await readdir(consumer)).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error('npm pack wrote no tarball');
    const target = join(consumer, 'node_modules', '@orrery', 'api-client');
    await mkdir(target, { recursive: true });
    await run('tar', ['-xzf', join(consumer, tarball), '-C', target, '--strip-components=1']);
    // Its dependency, and Node's types for the consumer, as npm would install them (offline here).
    await mkdir(join(consumer, 'node_modules', '@types'), { recursive: true });
    await symlink(installed('openapi-fetch'), join(consumer, 'node_modules', 'openapi-fetch'));
    await symlink(installed('@types/node'), join(consumer, 'node_modules', '@types', 'node'));
    await writeFile(join(consumer, 'package.json'), '{ "type": "module", "private": true }');
  }, 120_000);
  afterAll(() => rm(consumer, { recursive: true, force: true }));

  it('ships JavaScript and declarations only, with the document', async () => {
    const files = await readdir(join(consumer, 'node_modules', '@orrery', 'api-client'), {
      recursive: true,
    });
    expect(files.filter((f) => /\.(js|d\.ts|json)$/.test(f)).sort()).toEqual(
      expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'package.json']),
    );
    expect(files.filter((f) => /(?<!\.d)\.ts$/.test(f) || f.includes('test'))).toEqual([]);
  });

  it("type-checks the README's worked example and refuses calls the API would refuse", async () => {
    await writeFile(join(consumer, 'example.ts'), await readmeExample());
    await writeFile(join(consumer, 'misuse.ts'), misuse);
    const tsconfig = {
      compilerOptions: {
        target: 'ES2023',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        types: ['node'],
      },
      include: ['*.ts'],
    };
    await writeFile(join(consumer, 'tsconfig.json'), JSON.stringify(tsconfig));
    const tsc = join(installed('typescript'), 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', consumer]).catch(
      (error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }),
    );
    expect(result.stdout).toBe('');
  });

  it('runs in plain Node: sends the key and answers typed data', async () => {
    await writeFile(join(consumer, 'smoke.mjs'), smoke);
    const { stdout } = await run(process.execPath, [join(consumer, 'smoke.mjs')], {
      cwd: consumer,
    });
    expect(JSON.parse(stdout)).toEqual({
      data: { id: 'nightly', name: 'Nightly' },
      seen: [{ url: 'http://orrery.test/v1/jobs/nightly', authorization: 'Bearer ork_t.k' }],
      title: 'Orrery control plane',
    });
  });
});
