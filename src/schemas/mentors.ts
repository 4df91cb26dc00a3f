import { Type, type Static } from 'typebox'
import { DateOnly, Email, Instant, ListQueryFields, LongText, Page, ShortText, Uuid, Nullable } from './common.js'
import { NEEDS_AREAS } from './referrals.js'

export const MENTOR_STATUSES = ['applicant', 'vetting', 'approved', 'suspended', 'withdrawn'] as const
export type MentorStatus = (typeof MENTOR_STATUSES)[number]
export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export const DAY_PARTS = ['morning', 'afternoon', 'evening'] as const
export const DELIVERY_MODES = ['in_person', 'virtual'] as const
export const INTERVIEW_OUTCOMES = ['passed', 'failed', 'referred'] as const
export const DBS_LEVELS = ['enhanced_with_barred_list_children', 'enhanced', 'standard', 'basic'] as const
export const DBS_WORKFORCES = ['child', 'adult', 'child_and_adult'] as const
export const DBS_OUTCOMES = ['clear', 'information_disclosed'] as const
export const TRAINING_KINDS = ['initial', 'safeguarding', 'other'] as const
export const CHECK_STATUSES = ['ok', 'missing', 'expiring', 'expired'] as const

const Tags = Type.Array(ShortText(100), { maxItems: 30, uniqueItems: true })

export const AvailabilitySlotSchema = Type.Object(
  {
    day: Type.Enum([...DAYS]),
    part: Type.Enum([...DAY_PARTS])
  },
  { additionalProperties: false }
)

export const ProfessionalBackgroundSchema = Type.Object(
  {
    role: ShortText(200),
    organisation: ShortText(200),
    involvement_ended_on: Type.String({
      format: 'date',
      description: 'The day the professional involvement (with the young person or the care system) ended'
    })
  },
  { additionalProperties: false }
)

const Postcode = Type.String({
  minLength: 5,
  maxLength: 8,
  pattern: '^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$',
  description: 'UK postcode'
})
const Phone = Type.String({ minLength: 6, maxLength: 30, pattern: '^[0-9 +()-]+$' })

/** Profile fields a mentor may change on its own record; everything else is the coordinator's. */
export const MENTOR_EDITABLE_FIELDS = [
  'phone',
  'languages',
  'interests',
  'skills',
  'availability',
  'delivery_modes',
  'experience_summary'
] as const

const profile = {
  given_name: ShortText(100),
  family_name: ShortText(100),
  email: Email,
  phone: Type.Optional(Nullable(Phone)),
  gender: ShortText(50),
  cultural_heritage: Type.Optional(Nullable(ShortText(200))),
  languages: Type.Optional(Tags),
  interests: Type.Optional(Tags),
  skills: Type.Optional(Tags),
  experience_areas: Type.Optional(
    Type.Array(Type.Enum([...NEEDS_AREAS]), {
      uniqueItems: true,
      description: 'needs.areas the mentor has experience with'
    })
  ),
  experience_summary: Type.Optional(Nullable(LongText(4000))),
  postcode: Postcode,
  latitude: Type.Optional(Nullable(Type.Number({ minimum: -90, maximum: 90 }))),
  longitude: Type.Optional(Nullable(Type.Number({ minimum: -180, maximum: 180 }))),
  availability: Type.Optional(Type.Array(AvailabilitySlotSchema, { maxItems: 21, uniqueItems: true })),
  delivery_modes: Type.Optional(Type.Array(Type.Enum([...DELIVERY_MODES]), { minItems: 1, uniqueItems: true })),
  capacity: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 20, description: 'Young people the mentor can take at a time' })
  ),
  professional_background: Type.Optional(Nullable(ProfessionalBackgroundSchema)),
  works_in_care_system: Type.Optional(Type.Boolean()),
  subject: Type.Optional(Nullable(ShortText(200, { description: "The `sub` of the mentor's own tokens" }))),
  programme_ids: Type.Array(Uuid, {
    minItems: 1,
    maxItems: 20,
    uniqueItems: true,
    description: 'Programmes the mentor serves'
  })
}

export const CreateMentorSchema = Type.Object(profile, { additionalProperties: false })
export type CreateMentor = Static<typeof CreateMentorSchema>

export const UpdateMentorSchema = Type.Object(
  {
    given_name: Type.Optional(profile.given_name),
    family_name: Type.Optional(profile.family_name),
    email: Type.Optional(profile.email),
    phone: profile.phone,
    gender: Type.Optional(profile.gender),
    cultural_heritage: profile.cultural_heritage,
    languages: profile.languages,
    interests: profile.interests,
    skills: profile.skills,
    experience_areas: profile.experience_areas,
    experience_summary: profile.experience_summary,
    postcode: Type.Optional(profile.postcode),
    latitude: profile.latitude,
    longitude: profile.longitude,
    availability: profile.availability,
    delivery_modes: profile.delivery_modes,
    capacity: profile.capacity,
    professional_background: profile.professional_background,
    works_in_care_system: profile.works_in_care_system,
    subject: profile.subject,
    programme_ids: Type.Optional(profile.programme_ids)
  },
  { additionalProperties: false, minProperties: 1 }
)
export type UpdateMentor = Static<typeof UpdateMentorSchema>

export const MentorSchema = Type.Object(
  {
    id: Uuid,
    organisation_id: Uuid,
    status: Type.Enum([...MENTOR_STATUSES]),
    given_name: Type.String(),
    family_name: Type.String(),
    email: Type.String(),
    phone: Nullable(Type.String()),
    gender: Type.String(),
    cultural_heritage: Nullable(Type.String()),
    languages: Type.Array(Type.String()),
    interests: Type.Array(Type.String()),
    skills: Type.Array(Type.String()),
    experience_areas: Type.Array(Type.String()),
    experience_summary: Nullable(Type.String()),
    postcode: Type.String(),
    latitude: Nullable(Type.Number()),
    longitude: Nullable(Type.Number()),
    availability: Type.Array(AvailabilitySlotSchema),
    delivery_modes: Type.Array(Type.Enum([...DELIVERY_MODES])),
    capacity: Type.Integer(),
    professional_background: Nullable(ProfessionalBackgroundSchema),
    works_in_care_system: Type.Boolean(),
    subject: Nullable(Type.String()),
    programme_ids: Type.Array(Uuid),
    approved_at: Nullable(Instant),
    created_at: Instant,
    updated_at: Instant
  },
  { $id: 'Mentor' }
)
export type Mentor = Static<typeof MentorSchema>
export const MentorRef = Type.Unsafe<Mentor>(Type.Ref('Mentor'))

export const ListMentorsQuerySchema = Type.Object(
  {
    ...ListQueryFields,
    status: Type.Optional(Type.Enum([...MENTOR_STATUSES])),
    programme_id: Type.Optional(Uuid),
    cleared: Type.Optional(
      Type.Boolean({
        description:
          "Cleared today (in SCHEDULE_TZ): for `programme_id` when given, else for any of the mentor's programmes"
      })
    )
  },
  { additionalProperties: false }
)
export type ListMentorsQuery = Static<typeof ListMentorsQuerySchema>
export const MentorPageSchema = Page(MentorRef)

export const MentorActionSchema = Type.Object(
  { reason: Type.Optional(LongText(2000)) },
  { additionalProperties: false }
)
export type MentorAction = Static<typeof MentorActionSchema>

export const MentorHistorySchema = Type.Object({
  data: Type.Array(
    Type.Object({
      from_status: Nullable(Type.Enum([...MENTOR_STATUSES])),
      to_status: Type.Enum([...MENTOR_STATUSES]),
      actor_id: Type.String(),
      actor_role: Type.String(),
      reason: Nullable(Type.String()),
      at: Instant
    })
  )
})

// Vetting records: append-only facts with who recorded them and when.
const recorded = { id: Uuid, mentor_id: Uuid, recorded_by: Type.String(), created_at: Instant }

export const CreateInterviewSchema = Type.Object(
  {
    held_on: DateOnly,
    interviewer: ShortText(200),
    outcome: Type.Enum([...INTERVIEW_OUTCOMES]),
    notes: Type.Optional(LongText(4000))
  },
  { additionalProperties: false }
)
export const InterviewSchema = Type.Object({
  ...recorded,
  held_on: DateOnly,
  interviewer: Type.String(),
  outcome: Type.Enum([...INTERVIEW_OUTCOMES]),
  notes: Nullable(Type.String())
})

export const CreateReferenceSchema = Type.Object(
  {
    referee_name: ShortText(200),
    relationship: ShortText(200),
    requested_on: DateOnly,
    received_on: Type.Optional(DateOnly),
    satisfactory: Type.Optional(Type.Boolean({ description: 'Needs received_on' }))
  },
  { additionalProperties: false }
)
export const ReferenceSchema = Type.Object({
  ...recorded,
  referee_name: Type.String(),
  relationship: Type.String(),
  requested_on: DateOnly,
  received_on: Nullable(DateOnly),
  satisfactory: Nullable(Type.Boolean())
})

export const RiskDecisionSchema = Type.Object(
  {
    acceptable: Type.Boolean({
      description: 'The coordinator judged the disclosed information compatible with mentoring children'
    }),
    decided_on: DateOnly,
    rationale: LongText(4000)
  },
  { additionalProperties: false }
)

export const CreateStatusCheckSchema = Type.Object(
  {
    checked_on: DateOnly,
    result: Type.Enum(['no_change', 'changed'])
  },
  { additionalProperties: false }
)
export const StatusCheckSchema = Type.Object({
  id: Uuid,
  checked_on: DateOnly,
  result: Type.Enum(['no_change', 'changed']),
  recorded_by: Type.String(),
  created_at: Instant
})

export const CreateDbsCheckSchema = Type.Object(
  {
    level: Type.Enum([...DBS_LEVELS]),
    workforce: Type.Enum([...DBS_WORKFORCES]),
    certificate_number: Type.String({
      pattern: '^[0-9]{12}$',
      description: 'The 12-digit certificate number (metadata only: never the certificate content)'
    }),
    issued_on: DateOnly,
    update_service_subscribed: Type.Optional(Type.Boolean({ default: false })),
    update_service_subscription_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: 50, pattern: '^[A-Za-z0-9-]+$' })
    ),
    outcome: Type.Enum([...DBS_OUTCOMES]),
    risk_decision: Type.Optional(RiskDecisionSchema),
    renewal_in_progress: Type.Optional(Type.Boolean({ default: false })),
    status_checks: Type.Optional(Type.Array(CreateStatusCheckSchema, { maxItems: 20 }))
  },
  { additionalProperties: false }
)
export type CreateDbsCheck = Static<typeof CreateDbsCheckSchema>
export const DbsCheckSchema = Type.Object({
  ...recorded,
  level: Type.Enum([...DBS_LEVELS]),
  workforce: Type.Enum([...DBS_WORKFORCES]),
  certificate_number: Type.String(),
  issued_on: DateOnly,
  update_service_subscribed: Type.Boolean(),
  update_service_subscription_id: Nullable(Type.String()),
  outcome: Type.Enum([...DBS_OUTCOMES]),
  risk_decision: Nullable(
    Type.Object({
      acceptable: Type.Boolean(),
      decided_on: DateOnly,
      rationale: Type.String(),
      decided_by: Type.String()
    })
  ),
  renewal_in_progress: Type.Boolean(),
  status_checks: Type.Array(StatusCheckSchema)
})

export const CreateTrainingSchema = Type.Object(
  {
    kind: Type.Enum([...TRAINING_KINDS]),
    title: Type.Optional(ShortText(200)),
    completed_on: DateOnly,
    hours: Type.Number({ exclusiveMinimum: 0, maximum: 200 }),
    provider: ShortText(200)
  },
  { additionalProperties: false }
)
export const TrainingSchema = Type.Object({
  ...recorded,
  kind: Type.Enum([...TRAINING_KINDS]),
  title: Nullable(Type.String()),
  completed_on: DateOnly,
  hours: Type.Number(),
  provider: Type.String()
})

export const VettingParams = Type.Object({ id: Uuid, dbs_id: Uuid }, { additionalProperties: false })

export const ComplianceQuerySchema = Type.Object(
  {
    as_of: Type.Optional(
      Type.String({ format: 'date', description: 'The local day to judge on (default: today in SCHEDULE_TZ)' })
    )
  },
  { additionalProperties: false }
)

export const ComplianceCheckSchema = Type.Object({
  name: Type.String(),
  status: Type.Enum([...CHECK_STATUSES]),
  expires_on: Nullable(
    Type.String({ format: 'date', description: 'The day the record lapses: from that day on it no longer counts' })
  ),
  programme_id: Nullable(Uuid),
  detail: Type.String()
})

export const ComplianceSchema = Type.Object({
  mentor_id: Uuid,
  status: Type.Enum([...MENTOR_STATUSES]),
  as_of: DateOnly,
  cleared: Type.Boolean({
    description: 'Approved, and every check of at least one of its programmes is ok or expiring'
  }),
  programmes: Type.Array(
    Type.Object({
      programme_id: Uuid,
      clear: Type.Boolean({ description: 'Every check of this programme is ok or expiring' }),
      cleared: Type.Boolean({ description: 'clear, and the mentor is approved' })
    })
  ),
  checks: Type.Array(ComplianceCheckSchema)
})
