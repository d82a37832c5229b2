export { createTestDatabase, useTestDatabase, type TestDatabase } from './database.js';
export { serviceRoleName, serviceRoleUrl } from './service-role.js';
export { waitFor } from './wait-for.js';
export * from './redis.js';
export {
  startTargetServer,
  type TargetServer,
  type TargetOptions,
  type TargetRequest,
} from './target-server.js';
export { MemoryTelemetry } from './memory-telemetry.js';
export { MetricsSnapshot, type HistogramSummary } from './metrics-snapshot.js';
export { declareEdges } from './declare-edges.js';
