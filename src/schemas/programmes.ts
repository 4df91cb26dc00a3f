import { Type, type Static } from 'typebox'
import { Instant, Uuid, ShortText, Page, ListQueryFields } from './common.js'

export const CARE_STATUSES = ['none', 'looked_after', 'care_leaver'] as const
export const NEEDS_LEVELS = ['low', 'medium', 'high', 'complex'] as const
export const RISKS = ['cin_plan', 'child_protection_plan', 'specialist_camhs_active', 'history_of_violence'] as const
export const PROGRAMME_KINDS = ['mentoring', 'befriending', 'independent_visitor'] as const

const RiskRule = Type.Enum(['refuse', 'review', 'allow'], { default: 'allow' })
const Weight = (d: number) => Type.Number({ minimum: 0, maximum: 10, default: d })

export const ProgrammeRulesSchema = Type.Object(
  {
    eligibility: Type.Object(
      {
        min_age: Type.Integer({ minimum: 5, maximum: 30, default: 10 }),
        max_age: Type.Integer({ minimum: 5, maximum: 30, default: 25 }),
        extended_max_age: Type.Optional(Type.Integer({ minimum: 5, maximum: 30 })),
        extended_if: Type.Array(Type.Enum(['care_leaver', 'ldd']), { default: [], uniqueItems: true }),
        school_years: Type.Optional(
          Type.Array(Type.Integer({ minimum: 1, maximum: 14 }), { minItems: 1, uniqueItems: true })
        ),
        care_statuses: Type.Optional(Type.Array(Type.Enum([...CARE_STATUSES]), { minItems: 1, uniqueItems: true })),
        education_setting_required: Type.Boolean({ default: false }),
        postcode_areas: Type.Optional(
          Type.Array(Type.String({ pattern: '^[A-Z]{1,2}[0-9]{0,2}[A-Z]?$' }), {
            minItems: 1,
            description: 'Postcode areas or districts served, e.g. ["BR"]'
          })
        )
      },
      { additionalProperties: false, default: {} }
    ),
    consent: Type.Object(
      {
        parental: Type.Union(
          [
            Type.Enum(['always', 'never']),
            Type.Object({ under_age: Type.Integer({ minimum: 1, maximum: 30 }) }, { additionalProperties: false })
          ],
          { default: 'always' }
        )
      },
      { additionalProperties: false, default: {} }
    ),
    exclusions: Type.Object(
      {
        cin_plan: RiskRule,
        child_protection_plan: RiskRule,
        specialist_camhs_active: RiskRule,
        history_of_violence: RiskRule,
        max_needs_level: Type.Enum([...NEEDS_LEVELS], { default: 'high' })
      },
      { additionalProperties: false, default: {} }
    ),
    quotas: Type.Object(
      {
        per_referrer: Type.Optional(Type.Integer({ minimum: 1 })),
        per_education_setting: Type.Optional(Type.Integer({ minimum: 1 })),
        per_team: Type.Optional(Type.Integer({ minimum: 1 }))
      },
      { additionalProperties: false, default: {} }
    ),
    delivery: Type.Object(
      {
        mode: Type.Enum(['in_person', 'virtual', 'blended'], { default: 'in_person' }),
        session_minutes: Type.Integer({ minimum: 10, maximum: 480, default: 60 }),
        sessions_per_month: Type.Integer({ minimum: 1, maximum: 31, default: 4 })
      },
      { additionalProperties: false, default: {} }
    ),
    duration_months: Type.Integer({ minimum: 1, maximum: 60, default: 12 }),
    evaluation_interval_months: Type.Integer({ minimum: 1, maximum: 24, default: 12 }),
    early_review_months: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 })),
    session_alert_weeks: Type.Integer({ minimum: 1, maximum: 52, default: 3 }),
    mentor_requirements: Type.Object(
      {
        dbs_renewal_months: Type.Integer({ minimum: 1, maximum: 120, default: 36 }),
        dbs_update_service_check_months: Type.Integer({
          minimum: 1,
          maximum: 60,
          default: 12,
          description: 'On the DBS Update Service, a status check is needed within this many months'
        }),
        safeguarding_training_valid_months: Type.Integer({ minimum: 1, maximum: 60, default: 12 }),
        initial_training_hours: Type.Number({ minimum: 0, maximum: 200, default: 6 }),
        references_required: Type.Integer({ minimum: 0, maximum: 10, default: 2 }),
        independent_of_care_system: Type.Boolean({ default: false }),
        prior_professional_gap_months: Type.Optional(Type.Integer({ minimum: 0, maximum: 60 })),
        max_prior_professional_gap_months: Type.Optional(Type.Integer({ minimum: 0, maximum: 120 }))
      },
      { additionalProperties: false, default: {} }
    ),
    matching: Type.Object(
      {
        max_distance_km: Type.Optional(Type.Number({ minimum: 0, maximum: 1000 })),
        weights: Type.Object(
          {
            interests: Weight(3),
            culture: Weight(2),
            language: Weight(2),
            experience: Weight(3),
            distance: Weight(2),
            availability: Weight(1)
          },
          { additionalProperties: false, default: {} }
        )
      },
      { additionalProperties: false, default: {} }
    )
  },
  { additionalProperties: false, $id: 'ProgrammeRules' }
)

export type ProgrammeRules = Static<typeof ProgrammeRulesSchema>

export const ProgrammeSchema = Type.Object({
  id: Uuid,
  organisation_id: Uuid,
  name: Type.String(),
  kind: Type.Enum([...PROGRAMME_KINDS]),
  description: Type.Union([Type.String(), Type.Null()]),
  active: Type.Boolean(),
  rules: Type.Unsafe<ProgrammeRules>(Type.Ref('ProgrammeRules')),
  created_at: Instant,
  updated_at: Instant
})
export type Programme = Static<typeof ProgrammeSchema>

export const CreateProgrammeSchema = Type.Object(
  {
    name: ShortText(200),
    kind: Type.Enum([...PROGRAMME_KINDS]),
    description: Type.Optional(Type.String({ maxLength: 4000 })),
    active: Type.Optional(Type.Boolean()),
    rules: Type.Unsafe<Partial<ProgrammeRules>>(Type.Ref('ProgrammeRules'))
  },
  { additionalProperties: false }
)
export type CreateProgramme = Static<typeof CreateProgrammeSchema>

export const UpdateProgrammeSchema = Type.Object(
  {
    name: Type.Optional(ShortText(200)),
    description: Type.Optional(Type.String({ maxLength: 4000 })),
    active: Type.Optional(Type.Boolean()),
    rules: Type.Optional(Type.Unsafe<Partial<ProgrammeRules>>(Type.Ref('ProgrammeRules')))
  },
  { additionalProperties: false, minProperties: 1 }
)
export type UpdateProgramme = Static<typeof UpdateProgrammeSchema>

export const ListProgrammesQuerySchema = Type.Object(
  {
    ...ListQueryFields,
    active: Type.Optional(Type.Boolean())
  },
  { additionalProperties: false }
)

export const ProgrammePageSchema = Page(ProgrammeSchema)
