import { Type, type Static } from 'typebox'
import { DateOnly, Instant, ListQueryFields, LongText, Nullable, Page, ShortText, Uuid } from './common.js'
import { MAX_RETENTION_MONTHS, RETENTION_CLASSES, RETENTION_DEFAULTS } from '../data-protection/retention-classes.js'

const Months = (description?: string) =>
  Type.Integer({ minimum: 1, maximum: MAX_RETENTION_MONTHS, ...(description !== undefined ? { description } : {}) })

const CLASS_DESCRIPTIONS: Record<string, string> = {
  referral_declined_or_withdrawn: 'A declined or withdrawn referral, from the decision',
  referral_closed: 'A closed referral, from the day its match closed',
  mentor_left: 'A withdrawn mentor, from the withdrawal',
  safeguarding_concern: 'A safeguarding concern, from when it was raised',
  allegation_unfounded: 'An allegation about an adult found unfounded, unsubstantiated or malicious',
  allegation_substantiated: 'A substantiated allegation about an adult',
  notification:
    'A message the service sent or tried to send; also each webhook event with its deliveries and their delivery log (deleted whole, from when the event was recorded)'
}

export const RetentionScheduleSchema = Type.Object(
  {
    classes: Type.Object(
      Object.fromEntries(
        RETENTION_CLASSES.map((c) => [c, Months(`${CLASS_DESCRIPTIONS[c]} (default ${RETENTION_DEFAULTS[c]})`)])
      ),
      { additionalProperties: false }
    ),
    idempotency_key_hours: Type.Integer({
      description: 'How long idempotency keys and their stored responses are kept; not configurable'
    }),
    updated_at: Nullable(Instant)
  },
  {
    description:
      'Months after its event that each class of record is kept before the daily retention job anonymises it. Webhook events, their deliveries and the delivery log (which may hold whatever a receiver answered) follow `notification` and are deleted, not anonymised; idempotency keys go after `idempotency_key_hours`.'
  }
)

export const UpdateRetentionScheduleSchema = Type.Object(
  {
    classes: Type.Object(
      Object.fromEntries(RETENTION_CLASSES.map((c) => [c, Type.Optional(Months(CLASS_DESCRIPTIONS[c]))])),
      { additionalProperties: false, minProperties: 1 }
    )
  },
  { additionalProperties: false, examples: [{ classes: { referral_closed: 84 } }] }
)
export type UpdateRetentionSchedule = Static<typeof UpdateRetentionScheduleSchema>

export const LegalHoldSchema = Type.Object(
  {
    id: Uuid,
    referral_id: Nullable(Uuid),
    mentor_id: Nullable(Uuid),
    reason: Type.String(),
    placed_by: Type.String(),
    released_at: Nullable(Instant),
    released_by: Nullable(Type.String()),
    release_reason: Nullable(Type.String()),
    created_at: Instant,
    updated_at: Instant
  },
  { description: 'While a hold is in place, neither retention nor erasure anonymises the record' }
)

export const PlaceLegalHoldSchema = Type.Object(
  {
    reason: LongText(1000)
  },
  { additionalProperties: false, examples: [{ reason: 'Inquiry moratorium: keep every record of this child' }] }
)

export const ReleaseLegalHoldSchema = Type.Object(
  {
    reason: Type.Optional(LongText(1000))
  },
  { additionalProperties: false, examples: [{ reason: 'Inquiry closed' }] }
)

export const SUBJECT_TYPES = ['young_person', 'mentor'] as const
export const SubjectSchema = Type.Object(
  {
    type: Type.Enum([...SUBJECT_TYPES]),
    referral_id: Type.Optional(Uuid),
    mentor_id: Type.Optional(Uuid),
    given_name: Type.Optional(ShortText(100)),
    family_name: Type.Optional(ShortText(100)),
    date_of_birth: Type.Optional(DateOnly)
  },
  {
    additionalProperties: false,
    description:
      'A young person by `referral_id`, or by `given_name`, `family_name` and `date_of_birth`; a mentor by `mentor_id`, or by `given_name` and `family_name`'
  }
)
export type Subject = Static<typeof SubjectSchema>

export const RecordRefSchema = Type.Object({
  type: Type.String({ description: 'referral, match, mentor, safeguarding_concern...' }),
  id: Uuid,
  reference: Type.Optional(Type.String())
})
export type RecordRef = Static<typeof RecordRefSchema>

export const SAR_STATUSES = ['open', 'completed'] as const
export const SubjectAccessRequestSchema = Type.Object({
  id: Uuid,
  status: Type.Enum([...SAR_STATUSES]),
  subject: SubjectSchema,
  received_on: DateOnly,
  due_on: DateOnly,
  extended_months: Type.Integer({ description: 'Months added to the one-month deadline, at most 2' }),
  extensions: Type.Array(
    Type.Object({ months: Type.Integer(), reason: Type.String(), by: Type.String(), at: Instant })
  ),
  requester: Type.Object({ name: Type.String(), relationship: Type.String() }),
  identity_verified: Type.Boolean(),
  sent_on: Nullable(DateOnly),
  records: Type.Array(RecordRefSchema, {
    description: "The subject's records found: referrals and matches, or the mentor"
  }),
  created_by: Type.String(),
  created_at: Instant,
  updated_at: Instant
})
export type SubjectAccessRequest = Static<typeof SubjectAccessRequestSchema>

export const CreateSubjectAccessRequestSchema = Type.Object(
  {
    subject: SubjectSchema,
    received_on: Type.String({ format: 'date', description: 'The day the request was received; not in the future' }),
    requester: Type.Object(
      { name: ShortText(200), relationship: ShortText(100, { description: 'e.g. self, parent, solicitor' }) },
      { additionalProperties: false }
    ),
    identity_verified: Type.Boolean()
  },
  {
    additionalProperties: false,
    examples: [
      {
        subject: { type: 'young_person', given_name: 'Amara', family_name: 'Example', date_of_birth: '2013-05-01' },
        received_on: '2026-11-02',
        requester: { name: 'A Parent', relationship: 'mother' },
        identity_verified: true
      }
    ]
  }
)
export type CreateSubjectAccessRequest = Static<typeof CreateSubjectAccessRequestSchema>

export const ExtendSubjectAccessRequestSchema = Type.Object(
  {
    months: Type.Unsafe<1 | 2>({
      type: 'integer',
      enum: [1, 2],
      description: 'Months to add; up to three months in all'
    }),
    reason: LongText(1000)
  },
  { additionalProperties: false, examples: [{ months: 2, reason: 'Complex: records held across three programmes' }] }
)

export const CompleteSubjectAccessRequestSchema = Type.Object(
  {
    sent_on: Type.String({
      format: 'date',
      description: 'The day the response went to the requester; not in the future nor before received_on'
    })
  },
  { additionalProperties: false, examples: [{ sent_on: '2026-11-20' }] }
)

export const ListSubjectAccessRequestsQuerySchema = Type.Object(
  {
    ...ListQueryFields,
    status: Type.Optional(Type.Enum([...SAR_STATUSES]))
  },
  { additionalProperties: false }
)

export const SubjectAccessRequestPageSchema = Page(SubjectAccessRequestSchema)

const Loose = Type.Record(Type.String(), Type.Unknown())
export const SubjectAccessExportSchema = Type.Object(
  {
    request: Type.Object({ id: Uuid, received_on: DateOnly, due_on: DateOnly }),
    generated_at: Instant,
    controller: Type.Object({ organisation_id: Uuid, name: Type.String() }),
    subject: Type.Object({ type: Type.Enum([...SUBJECT_TYPES]) }),
    sources: Type.Array(Type.String(), { description: 'Where each section of the export came from' }),
    redactions: Type.Array(Type.String(), { description: 'What was left out and why' }),
    records: Type.Record(Type.String(), Type.Array(Loose), {
      description: 'Every record held about the subject, by kind'
    }),
    notifications: Type.Array(Loose),
    access_log: Type.Array(Loose)
  },
  { description: "Everything held about the subject; other people's personal data redacted" }
)

export const ERASURE_STATUSES = ['pending_approval', 'completed'] as const
export const RetainedRecordSchema = Type.Object({ record: RecordRefSchema, legal_basis: Type.String() })
export type RetainedRecord = Static<typeof RetainedRecordSchema>
export const ErasureRequestSchema = Type.Object({
  id: Uuid,
  status: Type.Enum([...ERASURE_STATUSES]),
  subject: SubjectSchema,
  reason: Type.String(),
  erasable: Type.Array(RecordRefSchema),
  retained: Type.Array(RetainedRecordSchema),
  requested_by: Type.String(),
  approved_by: Nullable(Type.String()),
  approved_at: Nullable(Instant),
  counts: Nullable(
    Type.Record(Type.String(), Type.Integer(), { description: 'Records anonymised, by kind, once approved' })
  ),
  created_at: Instant,
  updated_at: Instant
})
export type ErasureRequest = Static<typeof ErasureRequestSchema>

export const CreateErasureRequestSchema = Type.Object(
  {
    subject: SubjectSchema,
    reason: LongText(2000)
  },
  {
    additionalProperties: false,
    examples: [
      {
        subject: { type: 'young_person', referral_id: '0b5c3f9e-8a51-4a5e-9b1f-2f0c9d7e6a11' },
        reason: 'Art. 17 request from the young person, now 18'
      }
    ]
  }
)
export type CreateErasureRequest = Static<typeof CreateErasureRequestSchema>
