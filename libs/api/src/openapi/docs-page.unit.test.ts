import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import type { ApiDeps } from '../deps.js';

/** The src and href attributes of a page: what a browser loads with it. */
const assetsOf = (html: string) =>
  [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');

describe('the API reference page', () => {
  let app: FastifyInstance;
  /** GET /docs/, following its redirects as a browser does. */
  async function docsPage() {
    let url = '/docs/';
    for (let hops = 0; hops < 3; hops += 1) {
      const answer = await app.inject({ method: 'GET', url });
      if (answer.statusCode < 300 || answer.statusCode >= 400) return { answer, url };
      url = new URL(answer.headers.location ?? '', `http://localhost${url}`).pathname;
    }
    throw new Error('/docs/ redirects in a loop');
  }
  beforeAll(async () => {
    // The page depends only on the route schemas: the deps are a stub.
    app = await buildApp({ now: Date.now } as unknown as ApiDeps);
  });
  afterAll(() => app.close());

  it('is served at /docs and loads only what this server serves (it works offline)', async () => {
    const { answer: page, url: pageUrl } = await docsPage();
    expect(page.statusCode).toBe(200);
    const html = page.body;
    expect(html).toContain('<div id="swagger-ui">');
    const assets = assetsOf(html);
    expect(assets.length).toBeGreaterThan(2);
    expect(assets.filter((url) => /^(?:[a-z]+:)?\/\//i.test(url))).toEqual([]);
    for (const asset of assets) {
      const url = new URL(asset, `http://localhost${pageUrl}`).pathname;
      const answer = await app.inject({ method: 'GET', url });
      expect(answer.statusCode, url).toBe(200);
    }
  });

  it('starts itself from a script file, which the Content-Security-Policy allows', async () => {
    const { answer: page } = await docsPage();
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    // Inline code would be refused by `script-src 'self'`: every script has a src.
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>\s*\S/);
  });
});
