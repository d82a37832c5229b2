/**
 * `orrery tenant create|list|show|disable|enable` and `orrery key create|revoke`: the command
 * lines and their help. What each does is in tenants.ts, loaded when one runs.
 */
import { Command } from 'commander';
import { DATABASE_NOTE, jsonOption, withExamples } from './program.js';

const verbs = () => import('./tenants.js');

export function tenantCommand(): Command {
  const tenant = new Command('tenant').description(
    'create, list, show, disable and enable tenants (each has its own jobs and API keys)',
  );
  tenant.addCommand(
    withExamples(
      new Command('create')
        .description('create a tenant')
        .argument('<id>', 'the tenant id: letters, digits, - and _')
        .option('--name <name>', 'a name for people (default: the id)')
        .action(async (id: string, options: { name?: string }) => {
          process.exitCode = await (await verbs()).createTenantVerb(id, options.name ?? id);
        }),
      ['orrery tenant create acme --name "Acme Inc"'],
      DATABASE_NOTE,
    ),
  );
  tenant.addCommand(
    withExamples(
      new Command('list')
        .description('list every tenant: id, status, created, name (tab-separated)')
        .addOption(jsonOption())
        .action(async (options: { json?: boolean }) => {
          process.exitCode = await (await verbs()).listTenantsVerb(options.json === true);
        }),
      ['orrery tenant list', 'orrery tenant list --json'],
      DATABASE_NOTE,
    ),
  );
  tenant.addCommand(
    withExamples(
      new Command('show')
        .description('show a tenant: its status, who disabled it and why, and its API keys')
        .argument('<id>', 'the tenant id')
        .addOption(jsonOption())
        .action(async (id: string, options: { json?: boolean }) => {
          process.exitCode = await (await verbs()).showTenantVerb(id, options.json === true);
        }),
      ['orrery tenant show acme', 'orrery tenant show acme --json'],
      DATABASE_NOTE,
    ),
  );
  tenant.addCommand(
    withExamples(
      new Command('disable')
        .description('disable a tenant: its API keys are refused (403) until it is enabled')
        .argument('<id>', 'the tenant id')
        .option('--reason <reason>', 'why, kept in the log and shown by `tenant show`')
        .action(async (id: string, options: { reason?: string }) => {
          process.exitCode = await (await verbs()).disableTenantVerb(id, options.reason ?? '');
        }),
      ['orrery tenant disable acme --reason "invoice unpaid"'],
      DATABASE_NOTE,
    ),
  );
  tenant.addCommand(
    withExamples(
      new Command('enable')
        .description('enable a disabled tenant: its keys that are not revoked work again')
        .argument('<id>', 'the tenant id')
        .option('--reason <reason>', 'why, kept in the log')
        .action(async (id: string, options: { reason?: string }) => {
          process.exitCode = await (await verbs()).enableTenantVerb(id, options.reason ?? '');
        }),
      ['orrery tenant enable acme --reason paid'],
      DATABASE_NOTE,
    ),
  );
  return tenant;
}

export function keyCommand(): Command {
  const key = new Command('key').description("create and revoke a tenant's API keys");
  key.addCommand(
    withExamples(
      new Command('create')
        .description('create an API key for a tenant; the key is printed once, keep it safe')
        .argument('<tenantId>', 'the tenant the key acts for')
        .option('--name <name>', 'a name for people, e.g. where the key is used')
        .addOption(jsonOption())
        .action(async (tenantId: string, options: { name?: string; json?: boolean }) => {
          process.exitCode = await (
            await verbs()
          ).createKeyVerb(tenantId, options.name ?? '', options.json === true);
        }),
      ['orrery key create acme --name ci', 'orrery key create acme --json'],
      DATABASE_NOTE,
    ),
  );
  key.addCommand(
    withExamples(
      new Command('revoke')
        .description('revoke an API key: refused from now on')
        .argument('<tenantId>', 'the tenant of the key')
        .argument('<keyId>', 'the key id (`orrery tenant show` lists them)')
        .action(async (tenantId: string, keyId: string) => {
          process.exitCode = await (await verbs()).revokeKeyVerb(tenantId, keyId);
        }),
      ['orrery key revoke acme 0123456789ab'],
      DATABASE_NOTE,
    ),
  );
  return key;
}
