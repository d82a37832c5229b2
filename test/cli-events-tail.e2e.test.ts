import { endpointDecider, endpointStream } from '@orrery/domain';
import { handleCommand } from '@orrery/event-store';
import { useTestDatabase, waitFor } from '@orrery/testkit';
import { describe, expect, it } from 'vitest';
import { useAuditScenario } from './support/audit-scenario.js';
import { jsonLines, orreryCli, startOrrery } from './support/orrery-cli.js';

// `orrery events tail` as an operator runs it, and what every audit verb says to wrong input,
// on a history driven through the deciders (see auditScenario).
const db = useTestDatabase();
const world = useAuditScenario(db);
const orrery = orreryCli(() => db().url);

describe('orrery events tail', () => {
  it('prints the matching events, and follows new ones until stopped', async () => {
    const [types, table, ended] = await Promise.all([
      orrery('events', 'tail', '--tenant', 'acme', '--type', 'HintRejected,Paused', '--json'),
      orrery('events', 'tail', '--tenant', 'acme', '--endpoint', 'load', '--limit', '2'),
      orrery(
        'events',
        'tail',
        '--tenant',
        'acme',
        '--type',
        'HintExpired',
        '--follow',
        '--for',
        '300',
      ),
    ]);
    expect(jsonLines(types.stdout).map((e) => e.type)).toEqual(['HintRejected', 'Paused']);
    expect(table.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^#\d+ +\S+ +CascadeTriggered +endpoint-acme\.load +cascade:extract\.load +cascade \S+ fired by extract run/,
      ),
      expect.stringMatching(
        /RunDispatched +endpoint-acme\.load +cascade:extract\.load +run \S+ dispatched \(cascade/,
      ),
    ]);
    expect(ended).toMatchObject({
      code: 0,
      stdout: '',
      stderr: expect.stringMatching(/following after/),
    });

    const follower = startOrrery(db().url, [
      'events',
      'tail',
      '--tenant',
      'acme',
      '--type',
      'Resumed',
      '--follow',
      '--for',
      '60000',
    ]);
    const { output } = follower;
    await waitFor(
      'the follower to start',
      () => (/following after/.test(output.stderr) ? true : undefined),
      {
        timeoutMs: 60_000,
      },
    );
    const resumed = await handleCommand(
      world().store,
      endpointDecider,
      endpointStream('acme', 'extract'),
      { type: 'Resume', reason: 'done' },
      {
        now: Date.now,
        metadata: { tenantId: 'acme', actor: { kind: 'user', id: 'bob' } },
      },
    );
    expect(resumed.ok).toBe(true);
    await waitFor('the Resumed line', () => (/Resumed/.test(output.stdout) ? true : undefined), {
      timeoutMs: 30_000,
    });
    follower.kill('SIGTERM');
    expect(await follower.exited).toEqual([0, null]);
    expect(output.stdout).toMatch(/Resumed +endpoint-acme\.extract +user:bob +resumed — done\n$/);
  });
});

describe('wrong input', () => {
  it('exits 2 with the usage for a wrong command line, 1 for an unknown endpoint or job', async () => {
    const answers = await Promise.all([
      orrery('explain'),
      orrery('history', 'extract', '--bogus'),
      orrery('events', 'tail', '--type', 'Nope'),
      orrery('explain', 'extract', '--at', 'yesterday'),
      orrery('explain', 'ghost', '--tenant', 'acme'),
      orrery('history', 'ghost', '--tenant', 'acme'),
      orrery('events', 'tail', '--job', 'ghost', '--tenant', 'acme'),
    ]);
    expect(answers.map(({ code, stderr }) => ({ code, stderr: stderr.split('\n')[0] }))).toEqual([
      { code: 2, stderr: "orrery: missing required argument 'endpoint'" },
      { code: 2, stderr: "orrery: unknown option '--bogus'" },
      { code: 2, stderr: 'orrery: --type: unknown event type Nope' },
      {
        code: 2,
        stderr: expect.stringMatching(/^orrery: --at: a log position .* or an ISO-8601 instant/),
      },
      { code: 1, stderr: 'orrery: endpoint ghost not found in tenant acme (see --tenant)' },
      { code: 1, stderr: 'orrery: endpoint or job ghost not found in tenant acme' },
      { code: 1, stderr: 'orrery: job ghost not found in tenant acme' },
    ]);
    for (const { stderr } of answers.slice(0, 4)) expect(stderr).toMatch(/usage:\n {2}orrery /);
  });
});
