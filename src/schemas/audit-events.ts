import { Type, type Static } from 'typebox'
import { Instant, ListQueryFields, Nullable, Page, Uuid } from './common.js'
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, AUDIT_RESOURCE_TYPES } from '../audit/audit.repository.js'

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
