import { isStreamOf, type RecordedEvent } from '@orrery/domain';
import { isTenantStatusEvent } from './tenant-holds.js';

/** The events the scheduling projection folds: its streams' and tenants' status changes. */
export const schedulingWants = (event: RecordedEvent): boolean =>
  isStreamOf('endpoint', event.streamId) ||
  isStreamOf('job', event.streamId) ||
  isStreamOf('planner', event.streamId) ||
  isTenantStatusEvent(event);
