export { replay, type ReplayOptions, type ReplayReport } from './replay.js';
export { ReplayRefusedError, type ReplayScope } from './scope.js';
export type { ColumnChange, Difference, JsonRow, TableComparison } from './compare.js';
export type { ReplayParked, ReplayProgress, ReplayTimings } from './fold-into.js';
export { SHADOW_PREFIX, type ShadowKind } from './shadow.js';
export type { SwapOutcome } from './swap.js';
export { replayedTables, type ReplayedTable, type Window } from './tables.js';
export { readLog, type LogChunk, type LogReadOptions } from './log-reader.js';
