import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints one plain closing line per run, `tests: N passed, N failed, N skipped`,
 * with the count per tier above it, so CI logs and humans read the same figure.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const tiers = new Map<string, { passed: number; failed: number; skipped: number }>();
    for (const module of testModules) {
      const tier = module.project.name || 'default';
      const counts = tiers.get(tier) ?? { passed: 0, failed: 0, skipped: 0 };
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else counts.skipped++;
      }
      if (module.state() === 'failed' && module.children.size === 0) counts.failed++;
      tiers.set(tier, counts);
    }
    const total = { passed: 0, failed: 0, skipped: 0 };
    for (const [tier, c] of [...tiers].sort()) {
      console.log(
        `  ${tier.padEnd(5)} ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`,
      );
      total.passed += c.passed;
      total.failed += c.failed;
      total.skipped += c.skipped;
    }
    console.log(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  }
}
