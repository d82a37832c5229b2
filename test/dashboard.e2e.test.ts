/// <reference lib="dom" />
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { useTestDatabase } from '@orrery/testkit';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { axeViolations, describeWithChromium, launchChromium } from './support/browser.js';
import { startEmbeddedOrrery, type EmbeddedOrrery } from './support/embedded-orrery.js';
import { repoRoot } from './support/service-process.js';

// The dashboard as a person uses it: `npm start`'s process with the demo, driven by Debian's
// chromium through playwright-core. `SCREENSHOTS=1` also writes docs/images/dashboard-*.png.
const db = useTestDatabase();
const WAIT = { timeout: 30_000 };
const shots = process.env['SCREENSHOTS'] === '1' ? join(repoRoot, 'docs/images') : null;

describeWithChromium('the dashboard at /ui', () => {
  let orrery: EmbeddedOrrery;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  const shot = async (name: string, fullPage = false) => {
    if (shots) await page.screenshot({ path: join(shots, `dashboard-${name}.png`), fullPage });
  };
  const expectAccessible = async (where: string) => {
    const violations = await axeViolations(page);
    expect(violations, `axe-core on ${where}`).toEqual([]);
  };
  const view = async (name: string, heading: string | RegExp) => {
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name }).click();
    await page.getByRole('heading', { level: 1, name: heading }).waitFor(WAIT);
  };

  beforeAll(async () => {
    if (shots) await mkdir(shots, { recursive: true });
    orrery = await startEmbeddedOrrery(db().url);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await orrery?.stop();
  });

  it('is announced by the start banner and asks for a key it keeps out of the URL', async () => {
    expect(orrery.output()).toContain(`dashboard ${orrery.baseUrl}/ui`);
    await page.goto(`${orrery.baseUrl}/ui`);
    await page.getByRole('heading', { name: 'Orrery' }).waitFor(WAIT);
    await expectAccessible('the sign-in page');
    await shot('sign-in');

    await page.getByLabel('API key').fill('ork_default.000000000000.wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'That key was not accepted.' }).waitFor(WAIT);

    await page.getByLabel('API key').fill(orrery.apiKey);
    await page.getByLabel('API key').press('Enter');
    await page.getByRole('heading', { name: 'Jobs and endpoints' }).waitFor(WAIT);
    expect(page.url()).not.toContain(orrery.apiKey);
    expect(await page.evaluate(() => sessionStorage.getItem('orrery.apiKey'))).toBe(orrery.apiKey);
    const orders = page.getByRole('row', { name: /orders poll/ });
    await orders
      .getByText(/^(in|now)/)
      .first()
      .waitFor(WAIT);
    await expect.poll(() => orders.textContent(), WAIT).toMatch(/active/);
    await expectAccessible('the jobs view');
    await shot('jobs');
  });

  it("draws the demo's cross-job cascade in the graph, with the edge's state", async () => {
    await view('Graph', 'Dependency graph');
    const graph = page.getByRole('group', { name: /Graph of 4 endpoints and 1 edges/ });
    await graph.waitFor(WAIT);
    await graph.getByText('orders poll').waitFor(WAIT);
    await graph.getByText('pack new orders').waitFor(WAIT);
    await graph.getByText(/orders: trigger/).waitFor(WAIT);
    const edge = page.getByRole('row', { name: /demo-orders → demo-pack/ });
    await expect.poll(() => edge.textContent(), WAIT).toContain('body.new > 0');
    await expectAccessible('the graph view');
    await shot('graph');
  });

  it('pauses an endpoint from the UI and shows it in the timeline and the event tail', async () => {
    await view('Events', 'Live events');
    await page.getByText(/Following live/).waitFor(WAIT);
    await view('Jobs', 'Jobs and endpoints');
    await page.getByRole('button', { name: 'Pause orders poll' }).click();
    await page.getByRole('status').filter({ hasText: 'Pause orders poll: done' }).waitFor(WAIT);
    await page.getByRole('button', { name: 'Resume orders poll' }).waitFor(WAIT);

    await page.getByRole('link', { name: 'orders poll' }).click();
    await page.getByRole('heading', { level: 1, name: /orders poll/ }).waitFor(WAIT);
    const bands = page.getByRole('list', { name: 'Bands' });
    await bands.getByText(/Paused: paused from the dashboard \(until resumed\)/).waitFor(WAIT);
    await page.getByText(/Why/).waitFor(WAIT);
    await expect.poll(() => page.locator('.facts').textContent(), WAIT).toMatch(/paused/i);
    await expectAccessible('the endpoint view');
    await shot('endpoint', true);

    await view('Events', 'Live events');
    const paused = page.getByRole('row', { name: /Paused endpoint-default\.demo-orders user:/ });
    await paused.waitFor(WAIT);
    await expectAccessible('the event tail');
    await shot('events');
  });

  it('lists a refused proposal under its rule and opens it', async () => {
    // Given a hint based on a position older than the endpoint's latest response: the arbiter
    // refuses it as stale (through the API, as any client would send it).
    const refused = await fetch(`${orrery.baseUrl}/v1/endpoints/demo-inventory/hints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${orrery.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'interval',
        intervalMs: 5_000,
        ttlMs: 60_000,
        basedOnPosition: 1,
      }),
    });
    expect(refused.status).toBe(409);

    await view('Conflicts', 'Conflicts');
    await page.getByLabel('Rule').selectOption('stale');
    const open = page.getByRole('button', { name: /Open conflict stale on demo-inventory/ });
    await open.waitFor(WAIT);
    await open.click();
    const dialog = page.getByRole('dialog', {
      name: /Refused by stale: interval for demo-inventory/,
    });
    await dialog.waitFor(WAIT);
    await dialog
      .getByText(/based on position 1; demo-inventory has a newer response/)
      .waitFor(WAIT);
    await expectAccessible('a conflict');
    await shot('conflict');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', ...WAIT });

    await view('Planner', 'Planner sessions');
    await expectAccessible('the planner view');
    await shot('planner');
  });

  it('shows explain and the graph as of an earlier position (time travel)', async () => {
    await page.getByLabel('As of').fill('1');
    await page.getByLabel('As of').press('Enter');
    await page.getByRole('status').filter({ hasText: 'Time travel' }).waitFor(WAIT);
    await view('Graph', /Dependency graph as of 1/);
    await page
      .getByText(/No endpoints here at that point|Graph of/)
      .first()
      .waitFor(WAIT);
    await page.getByRole('button', { name: 'Now' }).click();
    await view('Graph', /^Dependency graph$/);
    await page.getByRole('group', { name: /Graph of 4 endpoints/ }).waitFor(WAIT);
  });

  it('works at a phone width, by keyboard', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await view('Jobs', 'Jobs and endpoints');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    expect(overflow, 'the page scrolls sideways at 390 px').toBeLessThanOrEqual(0);
    await expectAccessible('the jobs view at 390 px');
    await shot('phone');
    // The skip link comes first and shows when focused; the views follow, then Enter opens one.
    const skip = page.getByRole('link', { name: 'Skip to content' });
    await skip.focus();
    await expect.poll(() => skip.boundingBox().then((box) => (box?.x ?? -1) >= 0)).toBe(true);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Graph');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Dependency graph' }).waitFor(WAIT);
  });
});
