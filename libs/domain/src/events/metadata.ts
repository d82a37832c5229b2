import { z } from 'zod';

export const ActorKind = z.enum(['user', 'planner', 'cascade', 'system']);
export type ActorKind = z.infer<typeof ActorKind>;

export const Actor = z.strictObject({ kind: ActorKind, id: z.string().min(1) });
export type Actor = z.infer<typeof Actor>;

/** Who caused an event, in which tenant, and how it chains to others. */
export const EventMetadata = z.strictObject({
  tenantId: z.string().min(1),
  actor: Actor,
  /** Id of the event, run or command that directly caused this one. */
  causationId: z.string().optional(),
  /** Shared by every event of one cascade or one API request. */
  correlationId: z.string().optional(),
  /** W3C trace context of the span that appended the event. */
  traceparent: z.string().optional(),
});
export type EventMetadata = z.infer<typeof EventMetadata>;
