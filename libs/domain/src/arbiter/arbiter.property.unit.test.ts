import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HintSource } from '../events/catalogue.js';
import type { DomainEvent } from '../events/event.js';
import { nextRun } from '../governor/governor.js';
import { fromIso } from '../time.js';
import { MINUTE, SECOND } from './arbiter.test-support.js';
import { play, stepArb, type Decision, type Placed } from './arbiter-steps.test-support.js';
import { ArbiterPolicy } from './policy.js';

// Given any history of e1 (see arbiter-steps.test-support.ts) — proposals from every source,
// pauses, resumes, responses, time passing, hints lapsing — the arbiter keeps its promises.
// The limits are small, so that the histories reach them.

const policy = ArbiterPolicy.parse({
  antiThrash: { windowMs: 10 * MINUTE, maxChanges: 2, cooldownMs: 5 * MINUTE },
  budget: { windowMs: 10 * MINUTE, perEndpoint: 20, perJob: 30 },
  maxPlannerPauseMs: 10 * MINUTE,
});
const [MIN_INTERVAL, MAX_INTERVAL, BASELINE] = [10 * SECOND, 10 * MINUTE, MINUTE];

const forAllHistories = (check: (history: ReturnType<typeof play>) => void) =>
  fc.assert(
    fc.property(fc.array(stepArb, { minLength: 1, maxLength: 80, size: 'max' }), (steps) =>
      check(play(steps, policy)),
    ),
    { numRuns: 200 },
  );

/** The proposal an outcome event (HintProposed, Paused, HintsCleared, HintRejected) names. */
const outcomeId = (event: DomainEvent): string | undefined =>
  event.type === 'HintProposed'
    ? event.data.hintId
    : event.type === 'Paused' || event.type === 'HintsCleared' || event.type === 'HintRejected'
      ? event.data.proposalId
      : undefined;

/** Events in (end - windowMs, end]: what a limit with that window counts at `end`. */
const inWindow = <T extends { at: number }>(items: readonly T[], end: number, windowMs: number) =>
  items.filter((i) => i.at > end - windowMs && i.at <= end);

describe('the arbiter, over any history', () => {
  it('(a) records exactly one outcome per proposal; a user malformed one records nothing', () => {
    forAllHistories(({ log, decisions }) => {
      for (const { proposal, step, events } of decisions) {
        const outcomes = log.filter((e) => outcomeId(e) === proposal.id);
        if (step.malformed && proposal.source === 'user') {
          expect(events, proposal.id).toBeNull();
          expect(outcomes).toEqual([]);
          continue;
        }
        expect(events, proposal.id).not.toBeNull();
        expect(outcomes.map((e) => e.type)).toHaveLength(1);
        // It comes last, after the outcome of the hint it replaced (superseded or lapsed).
        expect(events?.at(-1)?.type).toBe(outcomes[0]?.type);
        for (const before of events?.slice(0, -1) ?? [])
          expect(['HintSuperseded', 'HintExpired']).toContain(before.type);
        if (step.malformed) expect(outcomes[0]?.data).toMatchObject({ rule: 'invalid' });
      }
      // And each hint taken ends at most once: superseded, lapsed, cleared or run.
      const ends = log.flatMap((e) =>
        e.type === 'HintSuperseded' || e.type === 'HintExpired'
          ? [e.data.hintId]
          : e.type === 'HintsCleared'
            ? e.data.hintIds
            : e.type === 'RunDispatched' && e.data.hintId !== undefined && e.data.attempt === 1
              ? [e.data.hintId]
              : [],
      );
      expect(ends).toEqual([...new Set(ends)]);
    });
  });

  it('(b) the governor never runs e1 inside an active pause; live intervals are within bounds', () => {
    forAllHistories(({ moments }) => {
      for (const { state, now } of moments) {
        const { at } = nextRun(state, now);
        const pause = state.pause;
        if (pause && pause.until === null) expect(at).toBeNull();
        if (pause?.until && pause.until > now) expect(at).toBeGreaterThanOrEqual(pause.until);
        const hint = state.hints.interval;
        if (hint && hint.expiresAt > now) {
          expect(hint.intervalMs).toBeGreaterThanOrEqual(MIN_INTERVAL);
          expect(hint.intervalMs).toBeLessThanOrEqual(MAX_INTERVAL);
        }
      }
    });
  });

  it('(c) accepts at most maxChanges automated direction changes per window, none in a cooldown', () => {
    const { windowMs, maxChanges, cooldownMs } = policy.antiThrash;
    forAllHistories(({ log }) => {
      const turns = turnsOf(log);
      for (const { at } of turns)
        expect(inWindow(turns, at, windowMs).length).toBeLessThanOrEqual(maxChanges);
      for (const refusal of log) {
        if (refusal.type !== 'HintRejected' || refusal.data.cooldownUntil === undefined) continue;
        const until = fromIso(refusal.data.cooldownUntil);
        expect(until).toBe(refusal.now + cooldownMs);
        expect(turns.filter((t) => t.position > refusal.position && t.at < until)).toEqual([]);
      }
    });
  });

  it('(d) grants planners at most perEndpoint extra runs per window, and counts them truly', () => {
    const { windowMs, perEndpoint, perJob } = policy.budget;
    forAllHistories(({ log, decisions }) => {
      const granted = log.flatMap((e) =>
        e.type === 'HintProposed' && e.data.source === 'planner'
          ? [{ at: e.now, runs: e.data.extraRuns ?? Number.NaN }]
          : [],
      );
      for (const { at } of granted) {
        const sum = inWindow(granted, at, windowMs).reduce((s, g) => s + g.runs, 0);
        expect(sum).toBeLessThanOrEqual(perEndpoint);
      }
      for (const d of decisions) {
        const hint = d.events?.at(-1);
        if (hint?.type !== 'HintProposed' || d.proposal.source !== 'planner') continue;
        const runs = hint.data.extraRuns ?? Number.NaN;
        if (runs > 0) expect(d.step.jobExtraRuns + runs).toBeLessThanOrEqual(perJob);
        if (hint.data.slot === 'oneShot') expect(runs).toBe(1);
        const live = d.before.hints.interval;
        if (hint.data.slot === 'interval' && !(live && live.expiresAt > d.now)) {
          const ttl = fromIso(hint.data.expiresAt) - d.now;
          const more = Math.floor(ttl / hint.data.intervalMs) - Math.floor(ttl / BASELINE);
          expect(runs).toBe(Math.max(0, more));
        }
      }
    });
  });

  it('(e) accepts only what ownership, cascade safety, staleness, pause and precedence allow', () => {
    forAllHistories(({ decisions }) => {
      for (const d of decisions) {
        const outcome = d.events?.at(-1);
        if (outcome && outcome.type !== 'HintRejected') checkAccepted(d, outcome);
      }
    });
  });
});

/** Turns of automated interval hints, judged from the intervals they applied (not their word). */
function turnsOf(log: readonly Placed[]) {
  let reference = BASELINE;
  let last: 'faster' | 'slower' | null = null;
  const turns: { at: number; position: number }[] = [];
  for (const e of log) {
    if (e.type !== 'HintProposed' || e.data.slot !== 'interval' || e.data.source === 'user')
      continue;
    if (e.data.intervalMs === reference) continue;
    const way = e.data.intervalMs < reference ? 'faster' : 'slower';
    const change = last !== null && way !== last;
    expect(e.data.steering, `steering of ${e.data.hintId}`).toEqual({ direction: way, change });
    if (change) turns.push({ at: e.now, position: e.position });
    [reference, last] = [e.data.intervalMs, way];
  }
  return turns;
}

const rank: Record<HintSource, number> = { planner: 0, agent: 1, cascade: 2, user: 3 };

/** What an accepted proposal must have respected, judged from the log it was decided on. */
function checkAccepted({ step, proposal, before, now, seen }: Decision, outcome: DomainEvent) {
  const { source } = proposal;
  if (source === 'planner') expect(['own', 'edge']).toContain(step.owner);
  if (source === 'cascade') expect(step.owner).not.toBe('stranger');
  expect(['loop', 'deep']).not.toContain(step.chain);
  // Not based on a view older than the latest response, pause or resume.
  const latest = Math.max(
    0,
    ...seen.flatMap((e) =>
      (e.type === 'ResponseRecorded' && !e.data.test) || e.type === 'Paused' || e.type === 'Resumed'
        ? [e.position]
        : [],
    ),
  );
  expect(proposal.basedOnPosition ?? latest).toBeGreaterThanOrEqual(latest);
  // Pause wins over planners and agents; planners' pauses are clamped.
  const { pause } = before;
  if (source === 'planner' || source === 'agent') {
    expect(pause !== null && (pause.until ?? Infinity) > now).toBe(false);
  }
  if (outcome.type === 'Paused' && source === 'planner') {
    expect(fromIso(outcome.data.until ?? '')).toBeLessThanOrEqual(now + policy.maxPlannerPauseMs);
  }
  // A live hint of a higher source is neither replaced nor cleared.
  const slots =
    outcome.type === 'HintProposed'
      ? [outcome.data.slot]
      : outcome.type === 'HintsCleared'
        ? outcome.data.slots
        : [];
  for (const slot of slots) {
    const live = before.hints[slot];
    if (live && live.expiresAt > now) expect(rank[live.source]).toBeLessThanOrEqual(rank[source]);
  }
}
