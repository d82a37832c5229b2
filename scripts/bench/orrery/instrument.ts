import type { Runtime } from '@orrery/scheduling';
import type { PipelineStats } from './pipeline-stats.js';
import { singleFlight, type AppendEach } from './single-flight.js';

/** Wraps instance methods of the runtime's parts with timers (bench only). */
export function instrument(runtime: Runtime, stats: PipelineStats, groupCommit: boolean): void {
  const store = runtime.store;
  const plain = store.appendEach.bind(store);
  const timed: AppendEach = async (requests) => {
    const t0 = performance.now();
    const outcomes = await plain(requests);
    const types = new Set(requests.map((r) => r.events[0]?.type ?? 'none'));
    const type = [...types].sort().join('+');
    stats.op(`store.appendEach [${type}]: ms`, performance.now() - t0);
    stats.op(`store.appendEach [${type}]: requests per call`, requests.length);
    return outcomes;
  };
  const appendEach = groupCommit ? singleFlight(timed) : plain;
  store.appendEach = async (requests) => {
    const t0 = performance.now();
    const outcomes = await appendEach(requests);
    const type = requests[0]?.events[0]?.type ?? 'none';
    // As the caller sees it (with group-commit: including the wait for the group).
    stats.op(`append ${type}: appendEach ms`, performance.now() - t0);
    stats.op(`append ${type}: requests per appendEach`, requests.length);
    for (const outcome of outcomes) {
      if (outcome instanceof Error) continue;
      const last = outcome.positions.at(-1);
      if (last !== undefined && last > stats.maxAppended) stats.maxAppended = last;
    }
    return outcomes;
  };
  const readAll = store.readAll.bind(store);
  store.readAll = async (options) => {
    const t0 = performance.now();
    const events = await readAll(options);
    if (events.length > 0) {
      stats.op('projection: readAll ms (query + decode/validate)', performance.now() - t0);
    }
    return events;
  };
  // The projection is a processor: read how far it has got from its host.
  const projection = runtime.processors.find((p) => p.name === 'scheduling');
  if (projection) {
    const timer = setInterval(() => {
      if (projection.position > stats.maxProjected) stats.maxProjected = projection.position;
    }, 20);
    timer.unref();
  }
  const dispatcher = runtime.dispatcher;
  if (dispatcher) {
    const tick = dispatcher.tick.bind(dispatcher);
    dispatcher.tick = async () => {
      const t0 = performance.now();
      const dispatched = dispatcher.stats.dispatched;
      const sleepMs = await tick();
      stats.ticks += 1;
      stats.op('dispatcher: tick ms', performance.now() - t0);
      stats.op('dispatcher: runs per tick', dispatcher.stats.dispatched - dispatched);
      stats.op('dispatcher: sleep asked ms', sleepMs);
      return sleepMs;
    };
  }
}
