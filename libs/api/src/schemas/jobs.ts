import { z } from 'zod';
import { Id, Instant } from './common.js';

export const JobSchema = z
  .object({
    id: Id,
    name: z.string(),
    description: z.string(),
    status: z.enum(['active', 'archived']),
    paused: z.object({ until: Instant.nullable(), reason: z.string() }).nullable(),
    createdAt: Instant.nullable(),
  })
  .meta({ id: 'Job' });
export type JobView = z.infer<typeof JobSchema>;

export const JobCreateSchema = z
  .strictObject({
    id: Id.optional().describe(
      'Client-chosen id (creation is then idempotent per id); generated if absent',
    ),
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
  })
  .meta({ id: 'JobCreate' });

export const JobUpdateSchema = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    description: z.string().max(2000).optional(),
  })
  .meta({ id: 'JobUpdate' });

export const PauseSchema = z
  .strictObject({
    until: Instant.nullable()
      .default(null)
      .describe('When the pause ends: an instant in the future; null pauses until resumed'),
    reason: z.string().max(500).optional(),
  })
  .meta({ id: 'Pause' });

export const ReasonSchema = z
  .strictObject({ reason: z.string().max(500).optional() })
  .meta({ id: 'Reason' });

export const JobParams = z.strictObject({ jobId: Id });
