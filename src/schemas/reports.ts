import { Type, type Static } from 'typebox'
import { DateOnly, Uuid } from './common.js'
import { EVALUATION_KINDS, RESPONDENTS } from './evaluations.js'

/** The names of the summary's sections, in order: each a table of its own (`?section=`, a sheet of the workbook). */
export const SECTIONS = [
  'summary',
  'referrals_by_status',
  'referrals_by_team',
  'decline_reasons',
  'early_closure_reasons',
  'evaluations_by_kind',
  'outcomes',
  'outcome_distributions'
] as const
export type SectionName = (typeof SECTIONS)[number]

export const ProgrammeSummaryQuerySchema = Type.Object(
  {
    programme_id: Uuid,
    from: Type.Optional(
      Type.String({ format: 'date', description: 'First day of the period (default: a year before `to`)' })
    ),
    to: Type.Optional(
      Type.String({ format: 'date', description: 'Last day of the period, inclusive (default: today)' })
    ),
    section: Type.Optional(
      Type.Enum([...SECTIONS], {
        description: 'With `Accept: text/csv`: that one section as a plain CSV table (its header, then its rows)'
      })
    )
  },
  { additionalProperties: false }
)
export type ProgrammeSummaryQuery = Static<typeof ProgrammeSummaryQuerySchema>

const Count = Type.Integer({ minimum: 0 })
const Rate = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], {
  description: 'A share between 0 and 1; null when nothing to divide by'
})
const NullableInt = Type.Union([Type.Integer(), Type.Null()])

export const ProgrammeSummarySchema = Type.Object({
  programme_id: Uuid,
  programme_name: Type.String(),
  from: DateOnly,
  to: DateOnly,
  generated_on: DateOnly,
  referrals: Type.Object({
    submitted: Type.Integer({
      minimum: 0,
      description: 'Referrals submitted in the period (the cohort the next figures describe)'
    }),
    young_people: Type.Integer({
      minimum: 0,
      description: 'The young people the cohort is about: referrals linked as one young person count once'
    }),
    by_status: Type.Array(Type.Object({ status: Type.String(), count: Count }), {
      description: 'The cohort by current status'
    }),
    by_team: Type.Array(
      Type.Object({ organisation: Type.String(), team: Type.Union([Type.String(), Type.Null()]), count: Count }),
      { description: 'The cohort by referring organisation and team' }
    )
  }),
  decisions: Type.Object({
    accepted: Type.Integer({ minimum: 0, description: 'Of the cohort, referrals accepted (whatever happened after)' }),
    declined: Count,
    acceptance_rate: Rate,
    decline_reasons: Type.Array(Type.Object({ reason_code: Type.String(), count: Count }))
  }),
  time_to_match: Type.Object({
    matched: Type.Integer({ minimum: 0, description: 'Of the cohort, referrals that have been matched' }),
    median_days: Type.Union([Type.Number(), Type.Null()], {
      description: 'Median days from submission to the first match proposed'
    })
  }),
  waiting_list: Type.Object({
    count: Type.Integer({ minimum: 0, description: 'Today: accepted referrals without an open match' }),
    oldest_wait_days: NullableInt,
    oldest_accepted_on: Type.Union([DateOnly, Type.Null()])
  }),
  matches: Type.Object({
    proposed: Type.Integer({ minimum: 0, description: 'Today' }),
    active: Type.Integer({ minimum: 0, description: 'Today' }),
    paused: Type.Integer({ minimum: 0, description: 'Today' }),
    started: Type.Integer({ minimum: 0, description: 'Started in the period' }),
    closed: Type.Integer({ minimum: 0, description: 'Closed in the period' })
  }),
  early_closures: Type.Object({
    count: Type.Integer({
      minimum: 0,
      description: 'Matches closed in the period less than three months after they started'
    }),
    reasons: Type.Array(Type.Object({ reason_code: Type.String(), count: Count }))
  }),
  sessions: Type.Object({
    logged: Type.Integer({ minimum: 0, description: 'Sessions held in the period' }),
    attended: Count,
    hours: Type.Number({ minimum: 0, description: 'Hours of attended sessions' })
  }),
  evaluations: Type.Object({
    due: Type.Integer({ minimum: 0, description: 'Evaluations due in the period (cancelled ones left out)' }),
    completed: Type.Integer({ minimum: 0, description: 'Of those, the ones recorded' }),
    completion_rate: Rate,
    by_kind: Type.Array(Type.Object({ kind: Type.Enum([...EVALUATION_KINDS]), due: Count, completed: Count }))
  }),
  outcomes: Type.Array(
    Type.Object({
      measure: Type.String(),
      respondent: Type.Enum([...RESPONDENTS]),
      responses: Count,
      mean: Type.Union([Type.Number(), Type.Null()]),
      distribution: Type.Array(
        Type.Object({ score: Type.Integer({ minimum: 1, maximum: 5 }), label: Type.String(), count: Count })
      )
    }),
    { description: 'Each measure per respondent type, from evaluations held in the period: responses per scale point' }
  )
})
export type ProgrammeSummary = Static<typeof ProgrammeSummarySchema>
