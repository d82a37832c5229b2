/**
 * Builders for tests of code built on the domain (`@orrery/domain/testing`): endpoint histories
 * made of real events, folded as the projection would. Not for production code.
 */
export * from './endpoint/history.test-support.js';
