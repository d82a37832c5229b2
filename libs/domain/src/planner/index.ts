export * from './settings.js';
export * from './session.js';
export * from './context.js';
