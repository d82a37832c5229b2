/**
 * Replays the event log into a shadow schema with the real projection and compares it with the
 * live read models, row by row (see `replay` in @orrery/scheduling and the README):
 *
 *   npm run replay [-- --to <position|ISO time>] [--tenant t] [--job j] [--endpoint e] [--swap] [--json]
 *
 * The same command as `npm run orrery -- replay`. Uses DATABASE_URL, or the embedded server of a
 * running `npm start`, or starts it.
 */
import { runReplay } from './lib/replay-command.js';

process.exitCode = await runReplay(process.argv.slice(2));
