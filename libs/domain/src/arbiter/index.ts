export * from './policy.js';
export * from './proposal.js';
export * from './steering.js';
export * from './arbiter.js';
