import { Type, type Static } from 'typebox'
import { DateOnly, Instant, ListQueryFields, LongText, Nullable, Page, ShortText, Uuid } from './common.js'

export const CONCERN_CATEGORIES = [
  'abuse_or_neglect',
  'self_harm',
  'exploitation',
  'online_safety',
  'disclosure',
  'mentor_conduct',
  'missing_from_home',
  'other'
] as const
export const CONCERN_KINDS = ['about_young_person', 'allegation_about_mentor', 'allegation_about_staff'] as const
export const OUTCOMES = ['substantiated', 'unsubstantiated', 'unfounded', 'malicious'] as const
/** The retention classes an outcome sets (api.md, Data protection). */
export const RETENTION_CLASSES = ['safeguarding_concern', 'allegation_substantiated', 'allegation_unfounded'] as const
export const CONCERN_QUEUES = ['unacknowledged', 'overdue', 'open', 'closed'] as const

export const ConcernActionSchema = Type.Object({
  action: Type.String(),
  outcome: Type.Union([Type.String(), Type.Null()]),
  actor_id: Type.String(),
  actor_role: Type.String(),
  at: Instant
})

export const ConcernAcknowledgementSchema = Type.Object(
  {
    due_at: Nullable(Instant),
    acknowledged_at: Nullable(Instant),
    acknowledged_by: Nullable(Type.String()),
    acknowledged_role: Nullable(Type.String()),
    overdue: Type.Boolean()
  },
  {
    description:
      'Due within 1 hour of `raised_at` for an immediate risk, else by 23:59 on the next working day (SCHEDULE_TZ, England and Wales bank holidays). `due_at` is null for concerns recorded before deadlines applied.'
  }
)

export const ConcernLadoReferralSchema = Type.Object(
  {
    due_at: Nullable(Instant),
    referred_on: Nullable(DateOnly),
    lado_reference: Nullable(Type.String({ description: 'Shown to coordinators and admins only' })),
    recorded_by: Nullable(Type.String()),
    recorded_at: Nullable(Instant),
    overdue: Type.Boolean()
  },
  { description: 'An allegation goes to the Local Authority Designated Officer by 23:59 on the next working day' }
)

export const ConcernOutcomeSchema = Type.Object({
  outcome: Type.Enum([...OUTCOMES]),
  note: Nullable(Type.String({ description: 'Shown to coordinators and admins only' })),
  recorded_by: Type.String(),
  recorded_at: Instant
})

export const ConcernSchema = Type.Object(
  {
    id: Uuid,
    referral_id: Uuid,
    reference: Type.String(),
    match_id: Type.Union([Uuid, Type.Null()]),
    kind: Type.Enum([...CONCERN_KINDS]),
    mentor_id: Nullable(
      Type.String({
        format: 'uuid',
        description: 'The mentor an allegation is about (shown to coordinators and admins only)'
      })
    ),
    category: Type.Enum([...CONCERN_CATEGORIES]),
    description: Type.String(),
    occurred_on: Type.Union([DateOnly, Type.Null()]),
    immediate_risk: Type.Boolean(),
    raised_at: Instant,
    raised_by: Type.String(),
    raised_role: Type.String(),
    status: Type.Enum(['open', 'closed']),
    overdue: Type.Boolean({ description: 'A deadline has passed with its step not done' }),
    acknowledgement: ConcernAcknowledgementSchema,
    lado_referral: Type.Union([ConcernLadoReferralSchema, Type.Null()]),
    mentor_suspended: Type.Boolean({ description: 'Recording the allegation suspended the mentor' }),
    outcome: Type.Union([ConcernOutcomeSchema, Type.Null()]),
    retention_class: Nullable(
      Type.Enum([...RETENTION_CLASSES], {
        description: "Set by the outcome: how long the record is kept (see the organisation's retention classes)"
      })
    ),
    actions: Type.Array(ConcernActionSchema),
    created_at: Instant,
    updated_at: Instant
  },
  {
    description:
      'A safeguarding concern: what was reported is never edited or deleted; it is acknowledged, followed up with actions, referred to the LADO when an allegation, and closed by an outcome'
  }
)

export const CreateConcernSchema = Type.Object(
  {
    match_id: Type.Optional(Uuid),
    referral_id: Type.Optional(Uuid),
    kind: Type.Optional(
      Type.Enum([...CONCERN_KINDS], {
        description:
          'Default `about_young_person`. An allegation about a mentor suspends the mentor at once; an allegation opens a LADO deadline.'
      })
    ),
    mentor_id: Type.Optional(
      Type.String({
        format: 'uuid',
        description: 'For an allegation about a mentor: the mentor (default: the mentor of `match_id`)'
      })
    ),
    category: Type.Enum([...CONCERN_CATEGORIES]),
    description: LongText(8000),
    occurred_on: Type.Optional(DateOnly),
    raised_at: Type.Optional(
      Type.String({
        format: 'date-time',
        description:
          'Coordinators and admins recording a concern received earlier: when it was raised (not in the future); deadlines run from it. Default now.'
      })
    ),
    immediate_risk: Type.Optional(
      Type.Boolean({
        description: "Someone is at risk now: call the police or children's services first, then record it here"
      })
    )
  },
  { additionalProperties: false, description: 'Give `match_id` (a mentor must) or `referral_id`' }
)

export const CreateConcernActionSchema = Type.Object(
  {
    action: LongText(4000),
    outcome: Type.Optional(LongText(4000))
  },
  { additionalProperties: false }
)

export const AcknowledgeConcernSchema = Type.Object(
  {},
  { additionalProperties: false, description: 'No fields: who and when come from the token and the clock' }
)

export const LadoReferralSchema = Type.Object(
  {
    referred_on: DateOnly,
    lado_reference: ShortText(100)
  },
  { additionalProperties: false }
)

export const ConcernOutcomeInputSchema = Type.Object(
  {
    outcome: Type.Enum([...OUTCOMES]),
    note: LongText(8000)
  },
  { additionalProperties: false }
)

export const ListConcernsQuerySchema = Type.Object(
  {
    ...ListQueryFields,
    referral_id: Type.Optional(Uuid),
    match_id: Type.Optional(Uuid),
    mentor_id: Type.Optional(Uuid),
    kind: Type.Optional(Type.Enum([...CONCERN_KINDS])),
    status: Type.Optional(
      Type.Enum([...CONCERN_QUEUES], {
        description:
          '`unacknowledged`: open and not acknowledged; `overdue`: open with a deadline passed unmet; `open`; `closed`: an outcome recorded'
      })
    )
  },
  { additionalProperties: false }
)

export const ConcernPageSchema = Page(ConcernSchema)
export type Concern = Static<typeof ConcernSchema>
