/**
 * Builders for tests of code built on the domain (`@orrery/domain/testing`): endpoint histories
 * made of real events, folded as the projection would. Not for production code.
 */
export * from './endpoint/history.test-support.js';
/** Recorded histories for what-if tests: a miniature of the live system, and the demo-like shop. */
export { Recorder, type Answer } from './what-if/recorder.test-support.js';
export { FROM as SHOP_FROM, TO as SHOP_TO, recordShop } from './what-if/shop.test-support.js';
