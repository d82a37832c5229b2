import { describe, expect, it } from 'vitest';
import { Baseline } from './config.js';

const cron = (expression: string, timezone?: string) =>
  Baseline.safeParse({ kind: 'cron', expression, ...(timezone ? { timezone } : {}) });

const issueOf = (result: ReturnType<typeof cron>) =>
  result.success
    ? undefined
    : `${result.error.issues[0]?.path.join('.')}: ${result.error.issues[0]?.message}`;

describe('a cron baseline', () => {
  it('is accepted or refused the same way every time it is checked (answers are kept)', () => {
    for (let round = 0; round < 3; round++) {
      expect(cron('*/5 * * * *', 'Europe/Berlin').success).toBe(true);
      expect(issueOf(cron('every tuesday', 'Europe/Berlin'))).toBe(
        'expression: not a valid cron expression',
      );
      expect(issueOf(cron('*/5 * * * *', 'Mars/Olympus_Mons'))).toBe(
        'timezone: not a known IANA time zone',
      );
    }
  });

  it('keeps its answers right past the number it keeps', () => {
    // More distinct strings than are kept: the kept answers are let go, never mixed up.
    for (let minute = 0; minute < 1_100; minute++) {
      expect(cron(`${minute % 60} ${minute % 24} * * *`).success).toBe(true);
      expect(cron(`${minute} bogus`).success).toBe(false);
    }
    expect(cron('0 3 * * *', 'America/New_York').success).toBe(true);
    expect(cron('61 3 * * *').success).toBe(false);
  });
});
