export { buildApp } from './app.js';
export type { ApiDeps } from './deps.js';
export { createTenant, createApiKey, revokeApiKey, tenantExists } from './tenants.js';
export { generateApiKey, parseApiKey } from './auth/api-keys.js';
export { problem, ProblemError, type Problem } from './problem.js';
