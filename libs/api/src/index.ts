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
