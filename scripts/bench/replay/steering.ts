/**
 * What else happens to an endpoint after a response, now and then: a planner proposes another
 * interval (the arbiter takes it or refuses it), a user asks for a run now, pauses it for a
 * while or until resumed, clears its hints; the hint-expiry processor records lapsed hints.
 * Each through the endpoint decider, as the API and the processors do.
 */
import { decide, type EndpointCommand, type HintSlot, type Millis } from '@orrery/domain';
import type { Sim } from './sim.js';

const MINUTE = 60_000;
const PLANNER = { kind: 'planner', id: 'planner-heuristic' } as const;
const EXPIRY = { kind: 'system', id: 'hint-expiry' } as const;

/** Decides a command on the endpoint and appends what it decided; a refusal appends nothing. */
function run(
  sim: Sim,
  index: number,
  command: EndpointCommand,
  now: Millis,
  actor: { kind: 'user' | 'planner' | 'system'; id: string },
  key?: string,
): void {
  const result = decide(command, sim.state(index), { now, metadata: sim.metadata(index, actor) });
  if (!result.ok || result.value.length === 0) return;
  sim.apply(index, result.value, now, key);
  sim.reschedule(index, now);
}

export function steer(sim: Sim, index: number, basedOn: number, now: Millis): void {
  const { rng } = sim;
  const spec = sim.world.endpoints[index];
  if (!spec || spec.everyMs === null) return;
  const user = { kind: 'user', id: `key-${spec.tenantId}` } as const;
  const roll = rng.next();
  // Unique, and the same for one seed: the log's length when it is proposed.
  const id = () => `p-${spec.endpointId}-${sim.log.events}`;
  if (roll < 0.025) {
    const factor = rng.pick([0.5, 0.75, 1.5, 2]);
    const proposal = {
      id: id(),
      source: 'planner' as const,
      sourceId: `session-${rng.hex(12)}`,
      fromEndpointId: spec.endpointId,
      reason:
        factor < 1 ? 'responses carry work: run more often' : 'idle responses: run less often',
      basedOnPosition: basedOn,
      action: {
        kind: 'interval' as const,
        intervalMs: Math.max(1_000, Math.round(spec.everyMs * factor)),
        ttlMs: rng.pick([10, 20, 30]) * MINUTE,
      },
    };
    run(sim, index, { type: 'Propose', proposal }, now, PLANNER);
  } else if (roll < 0.029) {
    const hint = { slot: 'oneShot' as const, ttlMs: 10 * MINUTE };
    run(
      sim,
      index,
      {
        type: 'ProposeHint',
        hintId: id(),
        hint,
        source: 'user',
        sourceId: user.id,
        reason: 'run now',
      },
      now,
      user,
    );
  } else if (roll < 0.032) {
    const until = now + rng.int(5, 30) * MINUTE;
    run(sim, index, { type: 'Pause', until, reason: 'maintenance window' }, now, user);
  } else if (roll < 0.033) {
    run(sim, index, { type: 'Pause', until: null, reason: 'investigating' }, now, user);
    sim.later({ at: now + rng.int(10, 60) * MINUTE, kind: 'resume', index });
  } else if (roll < 0.034) {
    run(sim, index, { type: 'ClearHints', reason: 'back to the baseline' }, now, user);
  }
}

export function resume(sim: Sim, index: number, now: Millis): void {
  const spec = sim.world.endpoints[index];
  if (!spec) return;
  run(sim, index, { type: 'Resume', reason: 'done' }, now, {
    kind: 'user',
    id: `key-${spec.tenantId}`,
  });
}

export function expire(sim: Sim, index: number, hintId: string, slot: HintSlot, now: Millis): void {
  run(sim, index, { type: 'ExpireHint', slot, hintId }, now, EXPIRY, `expired:${hintId}`);
}
