/**
 * The soak's window into a service process's V8 heap, loaded with `node --import` through
 * NODE_OPTIONS (plain JavaScript: it runs before the `tsx` loader is registered). Every second it
 * writes `<BENCH_MEMORY_DIR>/<pid>.json` (replaced atomically): `process.memoryUsage()` and the
 * heap in use just after the last full (mark-compact) GC, the live heap without the garbage a
 * growing heap carries between collections. The service itself knows nothing of it.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import process from 'node:process';
import { setInterval } from 'node:timers';
import v8 from 'node:v8';

const dir = process.env['BENCH_MEMORY_DIR'];
if (dir) {
  const MB = 1024 * 1024;
  let afterGc = { heapUsedMb: null, at: null, count: 0 };
  // A GC entry is delivered after the collection, before much else has run: close enough.
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
      afterGc = {
        heapUsedMb: v8.getHeapStatistics().used_heap_size / MB,
        at: Date.now(),
        count: afterGc.count + 1,
      };
    }
  }).observe({ entryTypes: ['gc'] });

  const file = join(dir, `${process.pid}.json`);
  const write = () => {
    const m = process.memoryUsage();
    const sample = {
      at: Date.now(),
      rssMb: m.rss / MB,
      heapTotalMb: m.heapTotal / MB,
      heapUsedMb: m.heapUsed / MB,
      externalMb: m.external / MB,
      arrayBuffersMb: m.arrayBuffers / MB,
      heapUsedAfterGcMb: afterGc.heapUsedMb,
      majorGcs: afterGc.count,
    };
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify(sample));
      renameSync(`${file}.tmp`, file);
    } catch {
      // The directory went away (the soak ended): nothing to report to.
    }
  };
  setInterval(write, 1_000).unref();
}
