/// <reference lib="dom" />
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';
import { describe, it } from 'vitest';

/** Debian's chromium package (`apt-get install chromium`); playwright-core downloads none. */
export const chromiumPath = (): string => process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/**
 * `describe` for suites that drive a real browser, like `describeWithRedis`: without chromium
 * the suite is skipped with a `SKIPPED` line, except under `CI`, where it fails instead.
 */
export function describeWithChromium(name: string, fn: () => void): void {
  const path = chromiumPath();
  if (existsSync(path)) {
    describe(name, fn);
    return;
  }
  if (process.env['CI']) {
    describe(name, () => {
      it('has chromium', () => {
        throw new Error(`no chromium at ${path}, and CI requires it (apt-get install chromium)`);
      });
    });
    return;
  }
  console.warn(`SKIPPED ${name}: no chromium at ${path} (apt-get install chromium)`);
  describe.skip(`no chromium at ${path}`, fn);
}

/** Starts headless chromium (no sandbox as root, where chromium refuses one). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    chromiumSandbox: process.getuid?.() !== 0,
  });
}

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

/** One accessibility violation as axe-core reports it (WCAG 2.1 A and AA rules). */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Runs axe-core in the page (WCAG 2.0/2.1 A and AA) and answers its violations. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated, not added as a script tag: the dashboard's CSP refuses inline scripts.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  });
}
