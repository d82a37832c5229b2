#!/usr/bin/env node
// `npx orrery …` inside the repository: a workspace package's bin is linked into the root's
// node_modules/.bin (the root package's own bin would not be). The CLI is TypeScript
// (scripts/orrery.ts, docs/cli.md): tsx's loader is registered in this process, so the exit
// code, signals and stdio are the CLI's own, with no second process to relay them.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../../../scripts/orrery.ts', import.meta.url).href);
