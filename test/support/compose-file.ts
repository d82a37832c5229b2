import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot, type ServiceName } from './service-process.js';

// docker-compose.yml as the tests read it: the unit tier checks it against the Compose
// Specification and the repository; the e2e tier starts the same services, with the same
// environment, as local processes.

export const composePath = join(repoRoot, 'docker-compose.yml');

/** What the tests read of one compose service (the rest stays `unknown`). */
export interface ComposeService {
  readonly image?: string;
  readonly build?: unknown;
  readonly command?: readonly string[];
  readonly environment?: Readonly<Record<string, string | number | boolean | null>>;
  readonly depends_on?: Readonly<Record<string, { readonly condition?: string }>>;
  readonly deploy?: { readonly replicas?: number };
  readonly healthcheck?: { readonly test?: readonly string[] | string; readonly disable?: boolean };
  readonly restart?: string;
  readonly container_name?: string;
  readonly ports?: readonly unknown[];
  readonly volumes?: readonly string[];
}

export interface ComposeFile {
  readonly services: Readonly<Record<string, ComposeService>>;
  readonly volumes?: Readonly<Record<string, unknown>>;
  readonly [key: string]: unknown;
}

/**
 * Parses compose YAML as Compose does before it validates: YAML merge keys (`<<: *anchor`)
 * resolved, `x-` extension fields kept. Nothing is interpolated.
 */
export function parseCompose(text: string): ComposeFile {
  return parse(text, { merge: true, maxAliasCount: 1_000 }) as ComposeFile;
}

export function readCompose(): ComposeFile {
  return parseCompose(readFileSync(composePath, 'utf8'));
}

/**
 * Compose's interpolation of one value: `$$` is a `$`; `${VAR}` and `$VAR` the variable (empty
 * when unset); `${VAR:-default}` / `${VAR-default}` a default when unset or empty / unset;
 * `${VAR:?message}` / `${VAR?message}` an error when unset or empty / unset.
 */
export function interpolate(value: string, env: Readonly<Record<string, string | undefined>>) {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])((?:[^}])*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, name?: string, colon?: string, op?: string, arg?: string, bare?: string) => {
      if (match === '$$') return '$';
      if (bare !== undefined) return env[bare] ?? '';
      const key = name ?? '';
      const set = env[key];
      const missing = colon === ':' ? set === undefined || set === '' : set === undefined;
      if (op === '-') return missing ? (arg ?? '') : (set ?? '');
      if (op === '?' && missing) throw new Error(`${key}: ${arg || 'required'}`);
      return set ?? '';
    },
  );
}

/** A service's environment as its container gets it, interpolated from `env`. */
export function serviceEnvironment(
  service: ComposeService,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([key, value]) => [
      key,
      interpolate(value === null ? '' : String(value), env),
    ]),
  );
}

/** The npm script a service's command runs: `npm run <script>` or `npm run -w <workspace> <script>`. */
export function npmScriptOf(
  command: readonly string[] | undefined,
): { workspace: string | null; script: string } | null {
  if (!command || command[0] !== 'npm' || command[1] !== 'run') return null;
  const rest = command.slice(2);
  if (rest[0] === '-w' || rest[0] === '--workspace') {
    return rest[1] && rest[2] ? { workspace: rest[1], script: rest[2] } : null;
  }
  return rest[0] ? { workspace: null, script: rest[0] } : null;
}

interface PackageJson {
  readonly name?: string;
  readonly scripts?: Readonly<Record<string, string>>;
  readonly workspaces?: readonly string[];
}

const readJson = (path: string): PackageJson =>
  JSON.parse(readFileSync(join(repoRoot, path), 'utf8')) as PackageJson;

/** The directory (from the repository root) of each npm workspace, by package name. */
export function workspaceDirs(): Map<string, string> {
  const dirs = new Map<string, string>();
  for (const kind of ['libs', 'services']) {
    for (const entry of readdirSync(join(repoRoot, kind), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = `${kind}/${entry.name}`;
      if (!existsSync(join(repoRoot, dir, 'package.json'))) continue;
      const name = readJson(`${dir}/package.json`).name;
      if (name) dirs.set(name, dir);
    }
  }
  return dirs;
}

/**
 * What a compose command runs: the npm script's text and, when that is `tsx <file>`, the file
 * from the repository root (null when the script does not exist).
 */
export function resolveCommand(
  command: readonly string[] | undefined,
): { script: string; text: string; entry: string | null } | null {
  const npm = npmScriptOf(command);
  if (!npm) return null;
  const dir = npm.workspace === null ? '.' : workspaceDirs().get(npm.workspace);
  if (dir === undefined) return null;
  const text = readJson(`${dir}/package.json`).scripts?.[npm.script];
  if (text === undefined) return null;
  const file = /^tsx (\S+\.ts)$/.exec(text)?.[1];
  return { script: npm.script, text, entry: file ? join(dir, file) : null };
}

/** The service under services/ whose entry file a compose command runs, if any. */
export function serviceOf(command: readonly string[] | undefined): ServiceName | null {
  const entry = resolveCommand(command)?.entry;
  const name = entry ? /^services\/([a-z-]+)\/src\/main\.ts$/.exec(entry)?.[1] : undefined;
  return SERVICE_NAMES.find((s) => s === name) ?? null;
}

const SERVICE_NAMES: readonly ServiceName[] = [
  'api',
  'projection',
  'planner',
  'dispatcher',
  'executor',
];

/** How many containers `docker compose up` starts for a service. */
export const replicasOf = (service: ComposeService): number => service.deploy?.replicas ?? 1;
