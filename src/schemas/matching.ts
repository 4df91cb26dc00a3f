import { Type, type Static } from 'typebox'
import { DateOnly, Instant, ReasonSchema, Uuid } from './common.js'

const Component = Type.Object({
  value: Type.Number({ minimum: 0, maximum: 1, description: 'How well this part fits, 0..1' }),
  weight: Type.Number({ description: "The programme's weight for this part" }),
  weighted: Type.Number({ description: 'Its contribution to the score; the parts add up to the score' })
})

export const BreakdownSchema = Type.Object({
  interests: Component,
  culture: Component,
  language: Component,
  experience: Component,
  distance: Component,
  availability: Component
})

export const SuggestionSchema = Type.Object({
  mentor_id: Uuid,
  mentor_given_name: Type.String(),
  score: Type.Number({ minimum: 0, maximum: 1 }),
  breakdown: BreakdownSchema,
  reasons: Type.Array(Type.String()),
  distance_km: Type.Number(),
  distance_basis: Type.Enum(['coordinates', 'postcode', 'sector', 'district', 'area', 'unknown'], {
    description: 'coordinates when both postcodes are geocoded, otherwise the postcode part they share'
  }),
  free_places: Type.Integer(),
  excluded_by: Type.Optional(
    Type.Array(ReasonSchema, {
      description: 'With `mentor_id`: every hard rule that keeps this mentor out (empty when none)'
    })
  )
})

export const SuggestionsQuerySchema = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 20 }),
    mentor_id: Type.Optional(Uuid)
  },
  { additionalProperties: false }
)
export type SuggestionsQuery = Static<typeof SuggestionsQuerySchema>

export const SuggestionsSchema = Type.Object({ data: Type.Array(SuggestionSchema) })

export const CreatePlanSchema = Type.Object({ programme_id: Uuid }, { additionalProperties: false })

export const PlanSchema = Type.Object({
  id: Uuid,
  programme_id: Uuid,
  as_of: DateOnly,
  pairs: Type.Array(
    Type.Object({
      referral_id: Uuid,
      reference: Type.String(),
      mentor_id: Uuid,
      mentor_given_name: Type.String(),
      score: Type.Number({ description: 'The fit of the pair, 0..1' }),
      priority: Type.Number({ description: 'What the wait adds: 0.25 for a year or more' }),
      waiting_days: Type.Integer(),
      reasons: Type.Array(Type.String()),
      state: Type.Enum(['proposed', 'accepted', 'matched_otherwise'], {
        description:
          '`accepted` once a coordinator has made this match; `matched_otherwise` when the referral was matched with another mentor'
      }),
      match_id: Type.Union([Uuid, Type.Null()])
    })
  ),
  unmatched: Type.Array(
    Type.Object({ referral_id: Uuid, reference: Type.String(), waiting_days: Type.Integer(), reason: Type.String() })
  ),
  summary: Type.Object({
    referrals: Type.Integer(),
    mentors: Type.Integer({ description: 'Cleared mentors with a free place considered' }),
    places: Type.Integer(),
    pairs: Type.Integer(),
    total_fit: Type.Number(),
    objective: Type.Number({
      description: 'Fit plus waiting priority, summed over the pairs: what the plan maximises'
    }),
    bound: Type.Number({ description: 'No plan can exceed this (the dual bound); equal to objective when optimal' }),
    optimal: Type.Boolean(),
    method: Type.String(),
    elapsed_ms: Type.Integer({ description: 'Time to solve, scoring included' }),
    scoring_ms: Type.Integer({ description: 'Of which scoring every referral against every mentor' })
  }),
  created_at: Instant,
  updated_at: Instant
})
export type Plan = Static<typeof PlanSchema>
