import { useTestDatabase } from '@orrery/testkit';
import { describe, expect, it } from 'vitest';
import { useAuditScenario } from './support/audit-scenario.js';
import { orreryCli, type Entry } from './support/orrery-cli.js';

// `orrery history` and `orrery explain` as an operator runs them, on a history driven through
// the deciders (see auditScenario).
const db = useTestDatabase();
const world = useAuditScenario(db);
const scenario = () => world().scenario;
const orrery = orreryCli(() => db().url);

describe('orrery history', () => {
  it("tells an endpoint's and a job's story in order: runs, hints, refusals, cascades, pauses", async () => {
    const [json, table, job, latest] = await Promise.all([
      orrery('history', 'extract', '--tenant', 'acme', '--json'),
      orrery('history', 'extract', '--tenant', 'acme'),
      orrery('history', 'job:etl', '--tenant', 'acme', '--json'),
      orrery('history', 'extract', '--tenant', 'acme', '--limit', '2', '--json'),
    ]);
    expect(json, json.stderr).toMatchObject({ code: 0 });
    const extract = JSON.parse(json.stdout) as Entry[];
    expect(extract.map((e) => e.type)).toEqual([
      'EndpointRegistered',
      'RunDispatched',
      'ResponseRecorded',
      'EndpointReconfigured',
      'HintProposed',
      'HintRejected',
      'PlannerSessionRecorded',
      'Paused',
    ]);
    expect(extract[3]).toMatchObject({ actor: { id: 'alice' }, summary: 'reconfigured: jitterMs' });
    expect(extract[5]).toMatchObject({
      position: scenario().refusal,
      actor: { kind: 'planner', id: 'heuristic' },
      summary: expect.stringMatching(/refused by rule precedence: .*; winner: hint \S+ \(user\)/),
      data: { rule: 'precedence', winner: { kind: 'hint', source: 'user' } },
    });
    expect(extract[6]?.summary).toMatch(
      /session-1 \(heuristic\) completed; 1 proposal\(s\): interval → extract rejected \(precedence\) — the upstream is quiet$/,
    );
    expect(extract[7]).toMatchObject({
      position: scenario().pause,
      actor: { kind: 'user', id: 'alice' },
    });

    expect(table.stdout).toMatch(/history of endpoint extract \(tenant acme\): 8 event\(s\)\n/);
    expect(table.stdout).toMatch(
      /#\d+\s+planner:heuristic\s+extract\s+proposal planner-1 \(interval\).*rule precedence/,
    );
    expect(table.stdout).toMatch(
      /user:alice\s+extract\s+paused indefinitely \(until resumed\) — maintenance/,
    );
    expect(table.stdout).toMatch(/planner extract\s+planner session session-1/);

    const etl = JSON.parse(job.stdout) as Entry[];
    expect(etl[0]).toMatchObject({ type: 'JobCreated', subject: 'job etl' });
    const cascade = etl.filter((e) => e.subject === 'load').map((e) => e.type);
    expect(cascade).toEqual([
      'EndpointRegistered',
      'DependencyDeclared',
      'UpstreamObserved',
      'CascadeTriggered',
      'RunDispatched',
    ]);
    expect(etl.find((e) => e.subject === 'load' && e.type === 'RunDispatched')).toMatchObject({
      causationId: scenario().runId,
      summary: expect.stringContaining(
        `dispatched (cascade from extract run ${scenario().runId} (extract → load))`,
      ),
    });

    expect((JSON.parse(latest.stdout) as Entry[]).map((e) => e.type)).toEqual([
      'PlannerSessionRecorded',
      'Paused',
    ]);
  });
});

describe('orrery explain', () => {
  it('answers now and as the log stood before the pause, with the refusal among the hint events', async () => {
    const before = String(scenario().pause - 1);
    const [now, then, text] = await Promise.all([
      orrery('explain', 'extract', '--tenant', 'acme', '--json'),
      orrery('explain', 'extract', '--tenant', 'acme', '--at', before, '--json'),
      orrery('explain', 'extract', '--tenant', 'acme'),
    ]);
    expect(now, now.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(now.stdout)).toMatchObject({
      asOf: { position: scenario().pause },
      next: { at: null, reason: 'paused_indefinitely' },
      inputs: { pause: { until: null, reason: 'maintenance' } },
      recentDecisions: {
        hintEvents: [
          { type: 'HintProposed', hintId: 'alice-1', source: 'user' },
          { type: 'HintRejected', proposalId: 'planner-1', rule: 'precedence' },
        ],
      },
    });
    expect(JSON.parse(then.stdout)).toMatchObject({
      asOf: { position: scenario().refusal },
      next: { reason: 'interval_hint' },
      inputs: { pause: null, intervalHint: { hintId: 'alice-1', intervalMs: 30_000 } },
    });
    expect(text.stdout).toMatch(/^endpoint extract \(job etl\) as of position \d+/);
    expect(text.stdout).toMatch(/next run: none — paused_indefinitely/);
    expect(text.stdout).toMatch(/pause\s+indefinitely \(maintenance\)/);
    expect(text.stdout).toMatch(
      /planner:heuristic: proposal planner-1 .*refused by rule precedence/,
    );
  });
});
