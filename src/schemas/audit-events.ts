import { Type, type Static } from 'typebox'
import { Instant, ListQueryFields, Nullable, Page, Uuid } from './common.js'

/** What an access event records: the only values the service writes in these columns. */
export const AUDIT_ACTIONS = ['read', 'create', 'update', 'status_change', 'export', 'dispose'] as const
export type AuditAction = (typeof AUDIT_ACTIONS)[number]

export const AUDIT_RESOURCE_TYPES = [
  'referral',
  'mentor',
  'match',
  'session',
  'goal',
  'evaluation',
  'concern',
  'report',
  'interview',
  'reference',
  'dbs_check',
  'training',
  'compliance',
  'suggestions',
  'subject_access_request',
  'erasure_request',
  'notification',
  'matching_plan'
] as const
export type AuditResourceType = (typeof AUDIT_RESOURCE_TYPES)[number]

export const AUDIT_OUTCOMES = ['success', 'denied'] as const
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number]

export const AuditEventSchema = Type.Object(
  {
    id: Uuid,
    at: Instant,
    actor_id: Type.String({
      description: 'The token subject of who read or changed the record, or `job:<name>` for a scheduled job'
    }),
    actor_role: Type.String({ description: 'The role it acted in (`system` for a job)' }),
    action: Type.Enum([...AUDIT_ACTIONS]),
    resource_type: Type.Enum([...AUDIT_RESOURCE_TYPES]),
    resource_id: Type.String({ format: 'uuid', description: 'The record; for a report, the programme' }),
    referral_id: Nullable(Uuid),
    mentor_id: Nullable(Uuid),
    purpose: Nullable(Type.String({ description: 'The `X-Access-Purpose` header given' })),
    outcome: Type.Enum([...AUDIT_OUTCOMES]),
    request_id: Type.String({ description: 'The request (`x-request-id`), or the job run' })
  },
  { description: 'An access event: append-only, never changed or deleted' }
)
export type AuditEvent = Static<typeof AuditEventSchema>

export const AuditEventPageSchema = Page(AuditEventSchema)

/** Filters shared by every access log. */
const LogFilters = {
  actor_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  resource_type: Type.Optional(Type.Enum([...AUDIT_RESOURCE_TYPES])),
  resource_id: Type.Optional(Uuid),
  action: Type.Optional(Type.Enum([...AUDIT_ACTIONS])),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Events at or after this instant' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Events before this instant' }))
}

export const ListAuditEventsQuerySchema = Type.Object(
  {
    ...ListQueryFields,
    ...LogFilters,
    referral_id: Type.Optional(Uuid),
    mentor_id: Type.Optional(Uuid)
  },
  { additionalProperties: false }
)

export const AccessLogQuerySchema = Type.Object({ ...ListQueryFields, ...LogFilters }, { additionalProperties: false })
