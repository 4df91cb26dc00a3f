import { Type, type Static } from 'typebox'
import {
  DateOnly,
  Email,
  Instant,
  ListQueryFields,
  LongText,
  Page,
  ReasonSchema,
  ShortText,
  Uuid,
  Nullable
} from './common.js'
import { CARE_STATUSES, NEEDS_LEVELS } from './programmes.js'

export const REFERRAL_STATUSES = [
  'submitted',
  'acknowledged',
  'under_review',
  'information_requested',
  'accepted',
  'matched',
  'declined',
  'withdrawn',
  'closed'
] as const
export type ReferralStatus = (typeof REFERRAL_STATUSES)[number]
export const OPEN_STATUSES: readonly ReferralStatus[] = [
  'submitted',
  'acknowledged',
  'under_review',
  'information_requested',
  'accepted',
  'matched'
]

export const NEEDS_AREAS = [
  'self_esteem',
  'confidence',
  'motivation',
  'education_engagement',
  'emotional_regulation',
  'exclusion_risk',
  'domestic_abuse',
  'parental_mental_health',
  'substance_misuse',
  'neet_risk',
  'friendships',
  'time_management',
  'job_hunting',
  'english_language',
  'isolation',
  'higher_education',
  'other'
] as const
export const DECLINE_REASONS = [
  'ineligible',
  'needs_too_complex',
  'better_served_elsewhere',
  'consent_missing',
  'quota_reached',
  'no_mentor_available',
  'other'
] as const
export type DeclineReason = (typeof DECLINE_REASONS)[number]
export const GENDER_PREFERENCES = ['male', 'female', 'no_preference'] as const

const Tags = Type.Array(ShortText(100), { maxItems: 30, uniqueItems: true })

export const YoungPersonSchema = Type.Object(
  {
    given_name: ShortText(100),
    family_name: ShortText(100),
    date_of_birth: DateOnly,
    gender: ShortText(50),
    ethnicity: Type.Optional(ShortText(100)),
    languages: Type.Optional(Tags),
    postcode: Type.String({
      minLength: 5,
      maxLength: 8,
      pattern: '^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$',
      description: 'UK postcode'
    }),
    education_setting: Type.Optional(
      Type.Object(
        {
          name: ShortText(200),
          urn: Type.Optional(Type.String({ pattern: '^[0-9]{6,8}$', description: 'DfE unique reference number' }))
        },
        { additionalProperties: false }
      )
    ),
    school_year: Type.Optional(Type.Integer({ minimum: 7, maximum: 13 })),
    care_status: Type.Enum([...CARE_STATUSES]),
    has_ldd: Type.Optional(Type.Boolean()),
    interests: Type.Optional(Tags),
    aspirations: Type.Optional(LongText(2000))
  },
  { additionalProperties: false }
)

export const ReferrerSchema = Type.Object(
  {
    name: ShortText(200),
    role: ShortText(200),
    organisation: ShortText(200),
    team: Type.Optional(ShortText(200)),
    email: Email,
    phone: Type.Optional(Type.String({ minLength: 6, maxLength: 30, pattern: '^[0-9 +()-]+$' })),
    is_parent_or_carer: Type.Boolean()
  },
  { additionalProperties: false }
)

export const NeedsSchema = Type.Object(
  {
    areas: Type.Array(Type.Enum([...NEEDS_AREAS]), { minItems: 1, uniqueItems: true }),
    level: Type.Enum([...NEEDS_LEVELS]),
    statement: LongText(4000)
  },
  { additionalProperties: false }
)

export const RisksSchema = Type.Object(
  {
    cin_plan: Type.Optional(Type.Boolean()),
    child_protection_plan: Type.Optional(Type.Boolean()),
    specialist_camhs_active: Type.Optional(Type.Boolean()),
    history_of_violence: Type.Optional(Type.Boolean())
  },
  { additionalProperties: false }
)

export const PreferencesSchema = Type.Object(
  {
    mentor_gender: Type.Enum([...GENDER_PREFERENCES]),
    notes: Type.Optional(LongText(2000))
  },
  { additionalProperties: false }
)

export const ConsentSchema = Type.Object(
  {
    young_person: Type.Object(
      {
        given: Type.Boolean(),
        recorded_on: DateOnly,
        recorded_by: ShortText(200)
      },
      { additionalProperties: false }
    ),
    parental: Type.Optional(
      Type.Object(
        {
          given: Type.Boolean(),
          recorded_on: DateOnly,
          name: ShortText(200),
          relationship: ShortText(100)
        },
        { additionalProperties: false }
      )
    )
  },
  { additionalProperties: false }
)

const OtherServices = Type.Array(ShortText(200), { maxItems: 20 })

export const CreateReferralSchema = Type.Object(
  {
    programme_id: Uuid,
    young_person: YoungPersonSchema,
    referrer: ReferrerSchema,
    needs: NeedsSchema,
    risks: RisksSchema,
    preferences: Type.Optional(PreferencesSchema),
    consent: ConsentSchema,
    other_services: Type.Optional(OtherServices),
    funded_place: Type.Optional(Type.Boolean({ description: 'Coordinators only: a funded place, outside the quotas' }))
  },
  { additionalProperties: false }
)
export type CreateReferral = Static<typeof CreateReferralSchema>

export const UpdateReferralSchema = Type.Object(
  {
    young_person: Type.Optional(YoungPersonSchema),
    referrer: Type.Optional(ReferrerSchema),
    needs: Type.Optional(NeedsSchema),
    risks: Type.Optional(RisksSchema),
    preferences: Type.Optional(PreferencesSchema),
    consent: Type.Optional(ConsentSchema),
    other_services: Type.Optional(OtherServices)
  },
  { additionalProperties: false, minProperties: 1 }
)
export type UpdateReferral = Static<typeof UpdateReferralSchema>

export const ScreeningSchema = Type.Object({
  outcome: Type.Enum(['eligible', 'needs_review']),
  reasons: Type.Array(ReasonSchema),
  age_at_referral: Type.Integer(),
  screened_at: Instant
})
export type Screening = Static<typeof ScreeningSchema>

export const DUPLICATE_BASES = ['date_of_birth_and_name', 'name_and_postcode_sector'] as const

export const PossibleDuplicateSchema = Type.Object(
  {
    referral_id: Uuid,
    reference: Type.String(),
    status: Type.Enum([...REFERRAL_STATUSES]),
    basis: Type.Enum([...DUPLICATE_BASES], {
      description:
        '`date_of_birth_and_name`: the same date of birth and a close name (one typo, or given and family names swapped); `name_and_postcode_sector`: the same name (perhaps swapped) in the same postcode sector'
    }),
    submitted_at: Instant
  },
  { description: 'Another referral that may be of the same young person' }
)

/** Fields of a referral shown to coordinators and admins only, worked out for each read. */
export const CASEWORK_FIELDS = ['possible_duplicates', 'linked_referral_ids'] as const

export const ReferralSchema = Type.Object(
  {
    id: Uuid,
    reference: Type.String(),
    programme_id: Uuid,
    status: Type.Enum([...REFERRAL_STATUSES]),
    young_person: YoungPersonSchema,
    referrer: ReferrerSchema,
    needs: NeedsSchema,
    risks: RisksSchema,
    preferences: PreferencesSchema,
    consent: ConsentSchema,
    other_services: OtherServices,
    screening: ScreeningSchema,
    funded_place: Type.Boolean(),
    information_request: Nullable(
      Type.Object({
        questions: Type.String(),
        requested_at: Instant,
        answers: Nullable(Type.String()),
        answered_at: Nullable(Instant)
      })
    ),
    decline: Nullable(
      Type.Object({ reason_code: Type.Enum([...DECLINE_REASONS]), note: Nullable(Type.String()), declined_at: Instant })
    ),
    withdrawal: Nullable(Type.Object({ reason: Type.String(), withdrawn_at: Instant })),
    accepted_at: Nullable(Instant),
    matched_at: Nullable(Instant),
    closed_at: Nullable(Instant),
    match: Type.Optional(
      Nullable(
        Type.Object(
          {
            status: Type.Enum(['proposed', 'active', 'paused', 'closed']),
            mentor_first_name: Type.String()
          },
          {
            description: "Once matched: the match status and the mentor's first name, all a referrer sees of the mentor"
          }
        )
      )
    ),
    submitted_at: Instant,
    created_at: Instant,
    updated_at: Instant,
    possible_duplicates: Type.Optional(
      Type.Array(PossibleDuplicateSchema, {
        description:
          'Coordinators and admins only (never referrers, mentors or integrations): other referrals of the organisation that may be of the same young person, not linked yet. A flag to judge; nothing is merged'
      })
    ),
    linked_referral_ids: Type.Optional(
      Type.Array(Uuid, {
        description:
          'Coordinators and admins only: referrals linked with this one as the same young person (`POST /v1/referrals/{id}/link`), treated as one by matching'
      })
    )
  },
  { $id: 'Referral' }
)
export type Referral = Static<typeof ReferralSchema>

export const ReferralRef = Type.Unsafe<Referral>(Type.Ref('Referral'))

export const ListReferralsQuerySchema = Type.Object(
  {
    ...ListQueryFields,
    status: Type.Optional(Type.Enum([...REFERRAL_STATUSES])),
    programme_id: Type.Optional(Uuid),
    submitted_from: Type.Optional(DateOnly),
    submitted_to: Type.Optional(DateOnly)
  },
  { additionalProperties: false }
)
export type ListReferralsQuery = Static<typeof ListReferralsQuerySchema>

export const ReferralPageSchema = Page(ReferralRef)

export const RequestInformationSchema = Type.Object({ questions: LongText(4000) }, { additionalProperties: false })
export const ProvideInformationSchema = Type.Object({ answers: LongText(8000) }, { additionalProperties: false })
export const AcceptReferralSchema = Type.Object(
  { funded_place: Type.Optional(Type.Boolean()), note: Type.Optional(LongText(2000)) },
  { additionalProperties: false }
)
export const DeclineReferralSchema = Type.Object(
  { reason_code: Type.Enum([...DECLINE_REASONS]), note: Type.Optional(LongText(2000)) },
  { additionalProperties: false }
)
export const WithdrawReferralSchema = Type.Object({ reason: LongText(2000) }, { additionalProperties: false })
export const StartReviewSchema = Type.Object({ note: Type.Optional(LongText(2000)) }, { additionalProperties: false })

export const LinkReferralSchema = Type.Object(
  {
    referral_id: Uuid
  },
  { additionalProperties: false, description: 'Another referral of the organisation that is of the same young person' }
)

export const HistoryEntrySchema = Type.Object({
  from_status: Nullable(Type.Enum([...REFERRAL_STATUSES])),
  to_status: Type.Enum([...REFERRAL_STATUSES]),
  actor_id: Type.String(),
  actor_role: Type.String(),
  reason: Nullable(Type.String()),
  at: Instant
})
export const HistorySchema = Type.Object({ data: Type.Array(HistoryEntrySchema) })
