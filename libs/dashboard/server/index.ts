import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the built dashboard lives (`vite build` writes it; the root `prepare` script runs that
 * on `npm ci` and `npm install`). Its `index.html` loads everything else from `/ui/`.
 */
export const dashboardDir: string = fileURLToPath(new URL('../dist', import.meta.url));

/** Whether the dashboard has been built (its `index.html` exists). */
export function dashboardBuilt(dir: string = dashboardDir): boolean {
  return existsSync(join(dir, 'index.html'));
}

/** The command that builds the dashboard, for messages that say how to get it. */
export const DASHBOARD_BUILD_COMMAND = 'npm run build:assets -w @orrery/dashboard';
