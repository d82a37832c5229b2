/**
 * A sampling CPU profile of a service process's main thread over a window the bench chooses,
 * loaded with `node --import` through NODE_OPTIONS (plain JavaScript, as `memory-probe.mjs`; the
 * services carry no bench code). The first SIGUSR2 starts the profiler; the next stops it and
 * writes `<BENCH_PROFILE_DIR>/<pid>.cpuprofile` (renamed into place once whole).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import process from 'node:process';

const dir = process.env['BENCH_PROFILE_DIR'];
if (dir) {
  const session = new Session();
  session.connect();
  let running = false;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      session.post('Profiler.enable', () =>
        session.post('Profiler.setSamplingInterval', { interval: 500 }, () =>
          session.post('Profiler.start'),
        ),
      );
      return;
    }
    running = false;
    session.post('Profiler.stop', (error, result) => {
      if (error || !result) return;
      const file = join(dir, `${process.pid}.cpuprofile`);
      try {
        writeFileSync(`${file}.tmp`, JSON.stringify(result.profile));
        renameSync(`${file}.tmp`, file);
      } catch {
        // The directory went away (the phase ended): nothing to report to.
      }
    });
  });
}
