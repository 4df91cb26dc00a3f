import { Type, type Static } from 'typebox'
import { DateOnly, Instant, ListQueryFields, LongText, Page, ShortText, Uuid, Nullable } from './common.js'

export const MATCH_STATUSES = ['proposed', 'active', 'paused', 'closed'] as const
export type MatchStatus = (typeof MATCH_STATUSES)[number]
export const CLOSE_REASONS = [
  'planned_end',
  'goals_met',
  'young_person_withdrew',
  'mentor_withdrew',
  'moved_away',
  'safeguarding',
  'rematch',
  'other'
] as const
/** Sessions happen in public places or online; home visits are never allowed. */
export const LOCATION_TYPES = ['school', 'library', 'cafe', 'community_venue', 'online', 'other'] as const
export const ATTENDEES = ['young_person', 'mentor', 'coordinator', 'referrer', 'parent_carer'] as const
export const GOAL_STATUSES = ['open', 'achieved', 'dropped'] as const

export const IntroductionSchema = Type.Object({
  scheduled_at: Instant,
  location: Type.String(),
  held_on: Type.Optional(DateOnly),
  attendees: Type.Optional(Type.Array(Type.Enum([...ATTENDEES])))
})

const AgreementSchema = Type.Object(
  {
    agreed: Type.Boolean(),
    recorded_on: DateOnly,
    name: Type.Optional(ShortText(200)),
    relationship: Type.Optional(ShortText(100))
  },
  { additionalProperties: false }
)

export const AgreementsSchema = Type.Object(
  {
    young_person: AgreementSchema,
    mentor: AgreementSchema,
    parent_carer: Type.Optional(AgreementSchema)
  },
  { additionalProperties: false }
)

export const MatchSchema = Type.Object(
  {
    id: Uuid,
    status: Type.Enum([...MATCH_STATUSES]),
    programme_id: Uuid,
    referral_id: Type.Optional(Uuid),
    reference: Type.Optional(Type.String()),
    mentor_id: Type.Optional(Uuid),
    mentor_first_name: Type.Optional(Type.String()),
    introduction: Type.Optional(IntroductionSchema),
    agreements: Type.Optional(Nullable(AgreementsSchema)),
    started_on: Type.Optional(Nullable(DateOnly)),
    paused_at: Type.Optional(Nullable(DateOnly)),
    closed_on: Type.Optional(Nullable(DateOnly)),
    close_reason_code: Type.Optional(Nullable(Type.Enum([...CLOSE_REASONS]))),
    close_note: Type.Optional(Nullable(Type.String())),
    closure_evaluation_waived: Type.Optional(
      Type.Boolean({
        description:
          'Closed for a rematch within its first `session_alert_weeks` or with no session logged: no closure evaluation is owed'
      })
    ),
    flagged_at: Type.Optional(Nullable(Instant)),
    flag_reason: Type.Optional(Nullable(Type.String())),
    young_person: Type.Optional(
      Type.Object(
        {
          first_name: Type.String(),
          age: Type.Integer(),
          school: Nullable(Type.String()),
          interests: Type.Array(Type.String()),
          needs_summary: Type.String()
        },
        { description: "The mentor's minimal view of the young person" }
      )
    ),
    created_at: Instant,
    updated_at: Instant
  },
  {
    description:
      "A coordinator sees every field; a mentor its own matches with `young_person` instead of the referral; a referrer only the status, dates and the mentor's first name."
  }
)
export type Match = Static<typeof MatchSchema>

export const CreateMatchSchema = Type.Object(
  {
    referral_id: Uuid,
    mentor_id: Uuid,
    introduction: Type.Object(
      {
        scheduled_at: Instant,
        location: ShortText(300)
      },
      {
        additionalProperties: false,
        description: 'The introduction meeting of the professional, the coordinator, the mentor and the young person'
      }
    )
  },
  { additionalProperties: false }
)
export type CreateMatch = Static<typeof CreateMatchSchema>

export const ActivateMatchSchema = Type.Object(
  {
    started_on: Type.Optional(
      Type.String({
        format: 'date',
        description:
          'The day the match started (default today): not in the future, not before the introduction. A match recorded late, or moved in from another system, gives its real start; evaluations are scheduled from it'
      })
    ),
    introduction: Type.Object(
      {
        held_on: DateOnly,
        attendees: Type.Array(Type.Enum([...ATTENDEES]), { minItems: 2, uniqueItems: true })
      },
      { additionalProperties: false }
    ),
    agreements: AgreementsSchema
  },
  { additionalProperties: false }
)
export type ActivateMatch = Static<typeof ActivateMatchSchema>

/** The day a status change happened, for changes recorded after the event (a historical match). */
const PastDay = (what: string) =>
  Type.Optional(
    Type.String({
      format: 'date',
      description: `The day the match ${what} (default today): not in the future, not before the match's previous status change`
    })
  )

export const PauseMatchSchema = Type.Object(
  { reason: LongText(2000), paused_on: PastDay('was paused') },
  { additionalProperties: false }
)
export const ResumeMatchSchema = Type.Object(
  { note: Type.Optional(LongText(2000)), resumed_on: PastDay('resumed') },
  { additionalProperties: false }
)
export const CloseMatchSchema = Type.Object(
  {
    reason_code: Type.Enum([...CLOSE_REASONS]),
    note: Type.Optional(LongText(2000)),
    closed_on: PastDay('closed')
  },
  { additionalProperties: false }
)

export const ListMatchesQuerySchema = Type.Object(
  {
    ...ListQueryFields,
    status: Type.Optional(Type.Enum([...MATCH_STATUSES])),
    programme_id: Type.Optional(Uuid),
    mentor_id: Type.Optional(Uuid),
    referral_id: Type.Optional(Uuid),
    flagged: Type.Optional(Type.Boolean())
  },
  { additionalProperties: false }
)

export const MatchPageSchema = Page(MatchSchema)

export const MatchHistorySchema = Type.Object({
  data: Type.Array(
    Type.Object({
      from_status: Nullable(Type.Enum([...MATCH_STATUSES])),
      to_status: Type.Enum([...MATCH_STATUSES]),
      on_date: DateOnly,
      actor_id: Type.String(),
      actor_role: Type.String(),
      reason: Nullable(Type.String()),
      at: Instant
    })
  )
})

export type Introduction = Static<typeof IntroductionSchema>
export type Agreements = Static<typeof AgreementsSchema>

export const SessionSchema = Type.Object({
  id: Uuid,
  match_id: Uuid,
  held_on: DateOnly,
  duration_minutes: Type.Integer(),
  location_type: Type.Enum([...LOCATION_TYPES]),
  attended: Type.Boolean(),
  notes: Nullable(Type.String()),
  recorded_by: Type.String(),
  recorded_role: Type.String(),
  created_at: Instant,
  updated_at: Instant
})

export type Session = Static<typeof SessionSchema>

export const CreateSessionSchema = Type.Object(
  {
    held_on: DateOnly,
    duration_minutes: Type.Integer({ minimum: 5, maximum: 720 }),
    location_type: Type.Enum([...LOCATION_TYPES], {
      description: 'Never `home`: sessions are held in public places, or online for virtual and blended programmes'
    }),
    attended: Type.Boolean(),
    notes: Type.Optional(LongText(4000))
  },
  { additionalProperties: false }
)
export type CreateSession = Static<typeof CreateSessionSchema>

export const ListSessionsQuerySchema = Type.Object({ ...ListQueryFields }, { additionalProperties: false })
export const SessionPageSchema = Page(SessionSchema)

export const GoalSchema = Type.Object({
  id: Uuid,
  match_id: Uuid,
  title: Type.String(),
  description: Nullable(Type.String()),
  target_date: Nullable(DateOnly),
  status: Type.Enum([...GOAL_STATUSES]),
  progress: Type.Integer({ minimum: 0, maximum: 100, description: 'Per cent' }),
  progress_notes: Type.Array(
    Type.Object({ on: DateOnly, progress: Type.Integer(), note: Nullable(Type.String()), by: Type.String() })
  ),
  created_at: Instant,
  updated_at: Instant
})

export type Goal = Static<typeof GoalSchema>

export const CreateGoalSchema = Type.Object(
  {
    title: ShortText(200),
    description: Type.Optional(LongText(2000)),
    target_date: Type.Optional(DateOnly)
  },
  { additionalProperties: false }
)

export const UpdateGoalSchema = Type.Object(
  {
    progress: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    status: Type.Optional(Type.Enum([...GOAL_STATUSES])),
    note: Type.Optional(LongText(2000)),
    title: Type.Optional(ShortText(200)),
    target_date: Type.Optional(Nullable(DateOnly))
  },
  { additionalProperties: false, minProperties: 1 }
)

export const GoalParams = Type.Object({ id: Uuid, goal_id: Uuid }, { additionalProperties: false })
export const GoalListSchema = Type.Object({ data: Type.Array(GoalSchema) })
