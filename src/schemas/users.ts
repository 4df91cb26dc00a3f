import { Type, type Static } from 'typebox'
import { Email, Instant, ListQueryFields, Page, ShortText, Uuid } from './common.js'

const StaffRole = Type.Enum(['admin', 'coordinator', 'referrer', 'integration'])

export const UserSchema = Type.Object({
  id: Uuid,
  email: Type.String(),
  name: Type.String(),
  roles: Type.Array(StaffRole),
  subject: Type.Union([Type.String(), Type.Null()]),
  active: Type.Boolean(),
  safeguarding_lead: Type.Boolean({
    description: 'Receives new concerns and every escalation of a missed safeguarding deadline'
  }),
  created_at: Instant,
  updated_at: Instant
})
export type User = Static<typeof UserSchema>

export const CreateUserSchema = Type.Object(
  {
    email: Email,
    name: ShortText(200),
    roles: Type.Array(StaffRole, { minItems: 1, uniqueItems: true }),
    subject: Type.Optional(
      ShortText(200, { description: "The `sub` of this person's tokens at the identity provider" })
    ),
    safeguarding_lead: Type.Optional(
      Type.Boolean({
        description: 'A designated safeguarding lead (default false): told of new concerns and of missed deadlines'
      })
    )
  },
  { additionalProperties: false }
)

export const UpdateUserSchema = Type.Object(
  {
    email: Type.Optional(Email),
    name: Type.Optional(ShortText(200)),
    roles: Type.Optional(Type.Array(StaffRole, { minItems: 1, uniqueItems: true })),
    subject: Type.Optional(Type.Union([ShortText(200), Type.Null()])),
    active: Type.Optional(Type.Boolean()),
    safeguarding_lead: Type.Optional(Type.Boolean())
  },
  { additionalProperties: false, minProperties: 1 }
)

export const ListUsersQuerySchema = Type.Object(
  {
    ...ListQueryFields,
    role: Type.Optional(StaffRole),
    active: Type.Optional(Type.Boolean()),
    safeguarding_lead: Type.Optional(Type.Boolean())
  },
  { additionalProperties: false }
)

export const UserPageSchema = Page(UserSchema)
