import committed from '@orrery/api-client/openapi.json' with { type: 'json' };
import { describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import type { ApiDeps } from './deps.js';

describe('the typed client (@orrery/api-client)', () => {
  it('is generated from the OpenAPI document the app serves now', async () => {
    // As scripts/generate-api-client.ts builds it: handlers never run, so the deps are a stub.
    const app = await buildApp({ now: Date.now } as unknown as ApiDeps);
    await app.ready();
    const current: unknown = JSON.parse(JSON.stringify(app.swagger()));
    await app.close();
    expect(
      current,
      'libs/api-client/src/generated is stale: run `npm run generate:client` and commit the result',
    ).toEqual(committed);
  });
});
