import { Type, type Static } from 'typebox'
import { DateOnly, Instant, ListQueryFields, LongText, Page, Uuid, Nullable } from './common.js'

export const EVALUATION_KINDS = ['annual', 'early_review', 'closure'] as const
export type EvaluationKind = (typeof EVALUATION_KINDS)[number]
export const EVALUATION_FILTERS = ['due', 'overdue', 'completed', 'cancelled'] as const
export const RESPONDENTS = ['young_person', 'mentor', 'referrer', 'parent_carer'] as const
export type Respondent = (typeof RESPONDENTS)[number]

/** The outcome measures, each on a fixed five-point scale; the labels are part of the contract. */
export const MEASURES = {
  has_trusted_adult: {
    title: 'Has someone they trust',
    labels: [
      'No one they trust',
      'Rarely has someone to turn to',
      'Sometimes has someone to turn to',
      'Usually has someone they trust',
      'Always has someone they trust'
    ]
  },
  feels_listened_to: {
    title: 'Feels listened to',
    labels: ['Never feels listened to', 'Rarely', 'Sometimes', 'Often', 'Always feels listened to']
  },
  confidence: {
    title: 'Confidence',
    labels: ['Very low', 'Low', 'Moderate', 'Good', 'Very good']
  },
  education_engagement: {
    title: 'Engagement in education, training or work',
    labels: [
      'Disengaged or not attending',
      'Attending, little engagement',
      'Some engagement',
      'Mostly engaged',
      'Fully engaged'
    ]
  },
  goal_progress: {
    title: 'Progress on agreed goals',
    labels: ['No progress', 'A little progress', 'Some progress', 'Good progress', 'Goals met']
  }
} as const
export type Measure = keyof typeof MEASURES
export const MEASURE_NAMES = Object.keys(MEASURES) as Measure[]

const scale = (m: Measure) =>
  Type.Integer({
    minimum: 1,
    maximum: 5,
    description: `${MEASURES[m].title}, 1-5: ${MEASURES[m].labels.map((l, i) => `${i + 1} = ${l}`).join('; ')}`
  })

export const MeasuresSchema = Type.Object(
  {
    has_trusted_adult: Type.Optional(scale('has_trusted_adult')),
    feels_listened_to: Type.Optional(scale('feels_listened_to')),
    confidence: Type.Optional(scale('confidence')),
    education_engagement: Type.Optional(scale('education_engagement')),
    goal_progress: Type.Optional(scale('goal_progress'))
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'At least one measure; leave out those the respondent could not answer'
  }
)
export type Measures = Static<typeof MeasuresSchema>

export const ResponseInputSchema = Type.Object(
  {
    respondent: Type.Enum([...RESPONDENTS], {
      description: 'Who answered: the young person, the mentor, the referrer, or a parent or carer'
    }),
    measures: MeasuresSchema,
    comments: Type.Optional(LongText(4000))
  },
  { additionalProperties: false }
)

export const RecordEvaluationSchema = Type.Object(
  {
    evaluation_id: Type.Optional(Uuid),
    kind: Type.Optional(Type.Enum([...EVALUATION_KINDS])),
    held_on: DateOnly,
    responses: Type.Array(ResponseInputSchema, {
      minItems: 1,
      maxItems: 4,
      description: 'One per respondent; each respondent at most once'
    })
  },
  { additionalProperties: false }
)
export type RecordEvaluation = Static<typeof RecordEvaluationSchema>

export const ResponseSchema = Type.Object({
  respondent: Type.Enum([...RESPONDENTS]),
  measures: MeasuresSchema,
  comments: Nullable(Type.String())
})

export const EvaluationSchema = Type.Object({
  id: Uuid,
  match_id: Uuid,
  programme_id: Uuid,
  kind: Type.Enum([...EVALUATION_KINDS]),
  sequence: Type.Integer({ description: 'The n-th evaluation of this kind for the match' }),
  due_on: DateOnly,
  status: Type.Enum(['due', 'completed', 'cancelled']),
  overdue: Type.Boolean({ description: 'Still due and its due date has passed (the day reckoned in SCHEDULE_TZ)' }),
  days_overdue: Type.Integer({ minimum: 0 }),
  held_on: Nullable(DateOnly),
  completed_on: Nullable(DateOnly),
  recorded_by: Nullable(Type.String()),
  responses: Type.Optional(Type.Array(ResponseSchema)),
  created_at: Instant,
  updated_at: Instant
})
export type Evaluation = Static<typeof EvaluationSchema>

export const ListEvaluationsQuerySchema = Type.Object(
  {
    ...ListQueryFields,
    status: Type.Optional(
      Type.Enum([...EVALUATION_FILTERS], {
        description: '`due`: every evaluation still owed, overdue ones included; `overdue`: owed and past its due date'
      })
    ),
    due_before: Type.Optional(Type.String({ format: 'date', description: 'Only those due strictly before this date' })),
    match_id: Type.Optional(Uuid),
    programme_id: Type.Optional(Uuid),
    kind: Type.Optional(Type.Enum([...EVALUATION_KINDS]))
  },
  { additionalProperties: false }
)
export type ListEvaluationsQuery = Static<typeof ListEvaluationsQuerySchema>

export const EvaluationPageSchema = Page(EvaluationSchema)

export const MatchIdParams = Type.Object({ id: Uuid }, { additionalProperties: false })
