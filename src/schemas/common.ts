import { Type, type Static, type TSchema, type TUnsafe } from 'typebox'

export const Uuid = Type.String({ format: 'uuid', description: 'UUID' })
export const DateOnly = Type.String({ format: 'date', description: 'Calendar date, YYYY-MM-DD' })
export const Instant = Type.String({ format: 'date-time', description: 'RFC 3339 instant in UTC' })
/** Text with at least one character that is not white space: a name of only spaces is no name. */
export const NOT_BLANK = '\\S'
export const ShortText = (max = 200, opts: Record<string, unknown> = {}) =>
  Type.String({ minLength: 1, maxLength: max, pattern: NOT_BLANK, ...opts })
export const LongText = (max = 4000) => Type.String({ minLength: 1, maxLength: max, pattern: NOT_BLANK })
export const Email = Type.String({ format: 'email', maxLength: 254 })

/**
 * T or null. Written as a JSON Schema type list (or an enum with null) rather than anyOf, so that the
 * response serializer writes it directly instead of validating each branch: several times faster on
 * every referral, mentor and match it renders.
 */
export function Nullable<T extends TSchema>(schema: T): TUnsafe<Static<T> | null> {
  if (isRecord(schema)) {
    const s = schema
    if (typeof s.type === 'string') return Type.Unsafe<Static<T> | null>({ ...s, type: [s.type, 'null'] })
    if (Array.isArray(s.enum) && s.type === undefined)
      return Type.Unsafe<Static<T> | null>({ ...s, enum: [...s.enum, null] })
  }
  return Type.Unsafe<Static<T> | null>(Type.Union([schema, Type.Null()]))
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false })

export const FieldErrorSchema = Type.Object({ path: Type.String(), message: Type.String() })
export const ReasonSchema = Type.Object({ code: Type.String(), message: Type.String() })

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    instance: Type.Optional(Type.String()),
    request_id: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(FieldErrorSchema)),
    reasons: Type.Optional(Type.Array(ReasonSchema))
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' }
)

export const ProblemRef = Type.Unsafe<Record<string, unknown>>(Type.Ref('Problem'))

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed or schema-invalid input; `errors` names each field',
  401: 'No token, or a token that is not valid',
  403: 'Your role may not do this',
  404: 'Not found, or not visible to you',
  409: 'Conflicts with the current state',
  412: '`If-Match` does not match the current version',
  422: 'Well-formed but refused by a rule; `reasons` says why',
  429: 'Too many requests'
}

export interface ProblemResponse {
  description: string
  content: { 'application/problem+json': { schema: typeof ProblemRef } }
}

/** Standard error responses for a route, as `application/problem+json`: pass the statuses it can answer with. */
export function problems(...statuses: number[]): Record<number, ProblemResponse> {
  const out: Record<number, ProblemResponse> = {}
  for (const s of [400, 401, 403, 429, ...statuses]) {
    out[s] = {
      description: PROBLEM_DESCRIPTIONS[s] ?? 'RFC 9457 problem details',
      content: { 'application/problem+json': { schema: ProblemRef } }
    }
  }
  return out
}

export const ListQueryFields = {
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' }))
}

export function Page<T extends TSchema>(item: T) {
  return Type.Object({
    data: Type.Array(item),
    next_cursor: Type.Union([Type.String(), Type.Null()])
  })
}

export const bearer = [{ bearerAuth: [] }]

export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ maxLength: 100 }))
})

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 }))
})
