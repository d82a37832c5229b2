export * from './settings.js';
export * from './session.js';
export * from './context.js';
export * from './signals.js';
export * from './heuristic.js';
