import { Type } from 'typebox'
import { DateOnly, Instant, ListQueryFields, LongText, Page, Uuid } from './common.js'

export const CONCERN_CATEGORIES = ['abuse_or_neglect', 'self_harm', 'exploitation', 'online_safety', 'disclosure', 'mentor_conduct', 'missing_from_home', 'other'] as const

export const ConcernActionSchema = Type.Object({
  action: Type.String(),
  outcome: Type.Union([Type.String(), Type.Null()]),
  actor_id: Type.String(),
  actor_role: Type.String(),
  at: Instant
})

export const ConcernSchema = Type.Object({
  id: Uuid,
  referral_id: Uuid,
  reference: Type.String(),
  match_id: Type.Union([Uuid, Type.Null()]),
  category: Type.Enum([...CONCERN_CATEGORIES]),
  description: Type.String(),
  occurred_on: Type.Union([DateOnly, Type.Null()]),
  immediate_risk: Type.Boolean(),
  raised_by: Type.String(),
  raised_role: Type.String(),
  actions: Type.Array(ConcernActionSchema),
  created_at: Instant,
  updated_at: Instant
}, { description: 'A safeguarding concern: a record never edited or deleted, only followed up with actions' })

export const CreateConcernSchema = Type.Object({
  match_id: Type.Optional(Uuid),
  referral_id: Type.Optional(Uuid),
  category: Type.Enum([...CONCERN_CATEGORIES]),
  description: LongText(8000),
  occurred_on: Type.Optional(DateOnly),
  immediate_risk: Type.Optional(Type.Boolean({ description: 'Someone is at risk now: call the police or children\'s services first, then record it here' }))
}, { additionalProperties: false, description: 'Give `match_id` (a mentor must) or `referral_id`' })

export const CreateConcernActionSchema = Type.Object({
  action: LongText(4000),
  outcome: Type.Optional(LongText(4000))
}, { additionalProperties: false })

export const ListConcernsQuerySchema = Type.Object({
  ...ListQueryFields,
  referral_id: Type.Optional(Uuid),
  match_id: Type.Optional(Uuid)
}, { additionalProperties: false })

export const ConcernPageSchema = Page(ConcernSchema)
