export { createTestDatabase, useTestDatabase, type TestDatabase } from './database.js';
export { waitFor } from './wait-for.js';
export * from './redis.js';
