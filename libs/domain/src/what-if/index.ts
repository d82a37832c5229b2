export {
  AddedEdge,
  EndpointOverride,
  MAX_WHAT_IF_CHANGES,
  noChanges,
  PolicyOverride,
  WhatIfChanges,
  type WhatIfChangesInput,
} from './changes.js';
export { LOOKBACK_MS } from './history.js';
export { responseFor, type Fed, type FedKind } from './feed.js';
export type {
  EndpointWhatIf,
  Listed,
  MovedRun,
  ProposalChange,
  RunView,
  SideCounts,
  WhatIfReport,
  WhatIfTotals,
} from './report.js';
export { DEFAULT_TOLERANCE_MS, whatIf, type WhatIfHistory, type WhatIfRequest } from './what-if.js';
