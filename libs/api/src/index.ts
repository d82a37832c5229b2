export { buildApp } from './app.js';
export type { ApiDeps } from './deps.js';
export {
  createTenant,
  createApiKey,
  revokeApiKey,
  disableTenant,
  enableTenant,
  tenantExists,
} from './tenants.js';
export { listTenants, readTenant, tenantDetail, tenantSummary } from './reads/tenants.js';
export { generateApiKey, parseApiKey } from './auth/api-keys.js';
export { problem, ProblemError, type Problem } from './problem.js';
export { createApiDeps } from './create-deps.js';
export { API_METRICS } from './http-metrics.js';
export { command } from './commands/command.js';
export {
  applyPipeline,
  type ApplyPipelineRequest,
  type ApplyPipelineResult,
} from './pipelines/apply.js';
export {
  formatOfFile,
  formatPipelineYaml,
  parsePipelineText,
  type DocumentFormat,
} from './pipelines/document-text.js';
// Reads of the log for the CLI's audit verbs (explain, history, events tail).
export { explainEndpoint } from './reads/explain.js';
export type { ExplanationView } from './schemas/explain.js';
export { ExplainQuery } from './schemas/explain.js';
export { EventsQuery } from './schemas/events.js';
export { eventFilter, eventMatcher, eventView } from './reads/events.js';
export { DEFAULT_EVENT_PAGE_BYTES, readEventPage } from './reads/event-page.js';
export {
  historyStreams,
  readHistory,
  readLatestEvents,
  type History,
  type HistoryEntry,
} from './reads/history.js';
export {
  baselineText,
  dispatchReason,
  duration,
  hintProposedText,
  hintRejectedText,
} from './reads/event-text.js';
export { summarizeEvent } from './reads/event-summary.js';
export { runWhatIf } from './reads/what-if.js';
export { WHAT_IF_LIMITS, WhatIfRequestSchema, type WhatIfRequestBody } from './schemas/what-if.js';
