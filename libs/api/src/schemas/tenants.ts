import { ActorKind } from '@orrery/domain';
import { z } from 'zod';
import { Instant, PageQuery, requestBody } from './common.js';

export const TenantId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes');
export const KeyId = z.string().regex(/^[0-9a-f]{12}$/, '12 hex digits');
export const TenantParams = z.strictObject({ tenantId: TenantId });

const TenantStatus = z
  .enum(['active', 'disabled'])
  .describe('`disabled`: every key of the tenant is refused with 403 until it is enabled');

export const TenantSummarySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    status: TenantStatus,
    createdAt: Instant,
  })
  .meta({ id: 'TenantSummary' });
export type TenantSummaryView = z.infer<typeof TenantSummarySchema>;

export const TenantDetailSchema = TenantSummarySchema.extend({
  disabled: z
    .object({
      reason: z.string(),
      actor: z.object({ kind: ActorKind, id: z.string() }).describe('Who disabled it'),
      since: Instant,
    })
    .nullable()
    .describe('Why, by whom and since when the tenant is disabled; null while it is active'),
  keys: z
    .array(
      z.object({
        id: z.string(),
        name: z.string(),
        createdAt: Instant,
        revoked: z.boolean(),
        revokedAt: Instant.nullable(),
      }),
    )
    .describe('Every key ever created, oldest first (never the key or its hash)'),
}).meta({ id: 'TenantDetail' });
export type TenantDetailView = z.infer<typeof TenantDetailSchema>;

export const TenantListQuery = PageQuery;

export const TenantReasonSchema = requestBody(
  z.strictObject({ reason: z.string().max(500).optional() }),
  'TenantReason',
  [{ reason: 'the invoice of March is unpaid' }],
);
