import { Type, type Static } from 'typebox'
import { Instant, Uuid, ShortText } from './common.js'

export const OrganisationSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  code: Type.String(),
  created_at: Instant,
  updated_at: Instant
})
export type Organisation = Static<typeof OrganisationSchema>

export const CreateOrganisationSchema = Type.Object(
  {
    name: ShortText(200),
    code: Type.String({ pattern: '^[A-Z]{2,10}$', description: '2-10 capital letters; prefixes referral references' })
  },
  { additionalProperties: false }
)
