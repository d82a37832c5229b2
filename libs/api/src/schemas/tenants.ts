import { ActorKind } from '@orrery/domain';
import { z } from 'zod';
import { Instant, PageQuery, requestBody, responseBody } from './common.js';

export const TenantId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes');
export const KeyId = z.string().regex(/^[0-9a-f]{12}$/, '12 hex digits');
export const TenantParams = z.strictObject({ tenantId: TenantId });

const TenantStatus = z
  .enum(['active', 'disabled'])
  .describe('`disabled`: every key of the tenant is refused with 403 until it is enabled');

const summary = z.object({
  id: z.string(),
  name: z.string(),
  status: TenantStatus,
  createdAt: Instant,
});

/** A tenant the operator disabled. */
const acme = {
  id: 'acme-logistics',
  name: 'Acme Logistics',
  status: 'disabled',
  createdAt: '2026-02-11T14:05:31.207Z',
} as const;

export const TenantSummarySchema = responseBody(summary, 'TenantSummary', [acme]);
export type TenantSummaryView = z.infer<typeof TenantSummarySchema>;

export const TenantDetailSchema = responseBody(
  summary.extend({
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
  }),
  'TenantDetail',
  [
    {
      ...acme,
      disabled: {
        reason: 'the invoice of March is unpaid',
        actor: { kind: 'system', id: 'admin' },
        since: '2026-03-02T08:15:00.000Z',
      },
      keys: [
        {
          id: '3be2c1d0a9f4',
          name: 'deploy pipeline',
          createdAt: '2026-02-11T14:06:02.911Z',
          revoked: true,
          revokedAt: '2026-02-20T10:00:00.000Z',
        },
        {
          id: '7c41d9e2a0b3',
          name: 'deploy pipeline (rotated)',
          createdAt: '2026-02-20T09:58:41.530Z',
          revoked: false,
          revokedAt: null,
        },
      ],
    },
  ],
);
export type TenantDetailView = z.infer<typeof TenantDetailSchema>;

export const TenantListQuery = PageQuery;

export const TenantReasonSchema = requestBody(
  z.strictObject({ reason: z.string().max(500).optional() }),
  'TenantReason',
  [{ reason: 'the invoice of March is unpaid' }],
);
