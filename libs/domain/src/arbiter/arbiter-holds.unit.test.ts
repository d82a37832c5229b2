import { describe, expect, it } from 'vitest';
import type { Holds } from '../governor/holds.js';
import {
  given,
  interval,
  iso,
  MINUTE,
  oneShot,
  only,
  proposal,
  registered,
  T0,
} from './arbiter.test-support.js';

const jobPaused = (until: number | null): Holds => ({
  job: {
    jobId: 'j1',
    version: 4,
    archived: false,
    pause: { until, reason: 'maintenance', actor: { kind: 'user', id: 'u1' } },
  },
});

describe('pause wins: the job holds planners off too', () => {
  it('refuses a planner proposal while the target job is paused, naming the pause', () => {
    const events = given(registered).propose(proposal('p1', 'planner', interval(30_000)), T0, {
      holds: jobPaused(T0 + 10 * MINUTE),
    });
    expect(only(events, 'HintRejected')).toMatchObject({
      rule: 'pause_wins',
      detail: `job j1 is paused until ${iso(T0 + 10 * MINUTE)}: pause wins over planner proposals`,
      winner: { kind: 'pause', until: iso(T0 + 10 * MINUTE) },
    });
  });

  it('accepts it again once the job pause has ended, and never holds a user back', () => {
    const ended = given(registered).propose(
      proposal('p1', 'planner', oneShot()),
      T0 + 11 * MINUTE,
      {
        holds: jobPaused(T0 + 10 * MINUTE),
      },
    );
    expect(only(ended, 'HintProposed').hintId).toBe('p1');
    const user = given(registered).propose(proposal('u', 'user', oneShot()), T0, {
      holds: jobPaused(null),
    });
    expect(only(user, 'HintProposed').source).toBe('user');
  });

  it('refuses a planner proposal for an endpoint of an archived job', () => {
    const events = given(registered).propose(proposal('p1', 'planner', oneShot()), T0, {
      holds: { job: { jobId: 'j1', version: 9, archived: true, pause: null } },
    });
    expect(only(events, 'HintRejected')).toMatchObject({
      rule: 'pause_wins',
      detail: 'job j1 is archived',
    });
  });
});
