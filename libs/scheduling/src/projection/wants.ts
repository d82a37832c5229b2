import {
  parseEndpointStream,
  parseJobStream,
  parsePlannerStream,
  type RecordedEvent,
} from '@orrery/domain';
import { isTenantStatusEvent } from './tenant-holds.js';

/** The events the scheduling projection folds: its streams' and tenants' status changes. */
export const schedulingWants = (event: RecordedEvent): boolean =>
  parseEndpointStream(event.streamId) !== null ||
  parseJobStream(event.streamId) !== null ||
  parsePlannerStream(event.streamId) !== null ||
  isTenantStatusEvent(event);
