export { replay, type ReplayOptions, type ReplayReport } from './replay.js';
export { ReplayRefusedError, type ReplayScope } from './scope.js';
export type { ColumnChange, Difference, JsonRow, TableComparison } from './compare.js';
export type { ReplayParked, ReplayProgress } from './fold-into.js';
export { SHADOW_PREFIX, type ShadowKind } from './shadow.js';
export type { SwapOutcome } from './swap.js';
export { replayedTables, type ReplayedTable, type Window } from './tables.js';
