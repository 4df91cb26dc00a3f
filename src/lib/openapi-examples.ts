/**
 * Examples of request bodies for the OpenAPI document: written out where a realistic one matters most
 * (a referral, a programme), made from the schema elsewhere, with values a caseworker would recognise.
 */
/** A JSON Schema as the document holds it: the keywords read here typed, any other unknown. */
export interface SchemaNode {
  $ref?: string
  type?: string | string[]
  const?: unknown
  enum?: unknown[]
  anyOf?: SchemaNode[]
  oneOf?: SchemaNode[]
  allOf?: SchemaNode[]
  properties?: Record<string, SchemaNode>
  required?: string[]
  minProperties?: number
  additionalProperties?: boolean | SchemaNode
  patternProperties?: Record<string, SchemaNode>
  items?: SchemaNode
  minItems?: number
  minimum?: number
  exclusiveMinimum?: number
  maximum?: number
  format?: string
  pattern?: string
  minLength?: number
  maxLength?: number
  default?: unknown
  description?: string
  [keyword: string]: unknown
}

/** Where a `$ref` to a component schema points. */
export interface SchemaComponents {
  components: { schemas: Record<string, SchemaNode> }
}

const PROGRAMME_ID = '3f8a2c1e-5b7d-4e9a-8c6f-1d2e3f4a5b6c'

export const REQUEST_EXAMPLES: Record<string, unknown> = {
  createReferral: {
    programme_id: PROGRAMME_ID,
    young_person: {
      given_name: 'Amara',
      family_name: 'Example',
      date_of_birth: '2013-05-01',
      gender: 'female',
      postcode: 'BR1 3AB',
      care_status: 'none',
      school_year: 8,
      education_setting: { name: 'Ravens Wood School', urn: '101695' },
      interests: ['football']
    },
    referrer: {
      name: 'Sam Teacher',
      role: 'Head of Year',
      organisation: 'Ravens Wood School',
      team: 'Pastoral',
      email: 'sam.teacher@school.example',
      is_parent_or_carer: false
    },
    needs: { areas: ['confidence'], level: 'medium', statement: 'Finding it hard to settle.' },
    risks: { cin_plan: false },
    consent: {
      young_person: { given: true, recorded_on: '2026-11-01', recorded_by: 'Sam Teacher' },
      parental: { given: true, recorded_on: '2026-11-01', name: 'A Parent', relationship: 'mother' }
    }
  },
  createProgramme: {
    name: 'MOPAC Project',
    kind: 'mentoring',
    rules: { eligibility: { min_age: 10, max_age: 18 }, consent: { parental: 'always' }, quotas: { per_referrer: 2 } }
  },
  createOrganisation: { name: 'Bromley Mentoring Initiative', code: 'BMI' }
}

/** Sample values by field name, for the fields whose schema alone would give a poor example. */
const BY_NAME: Record<string, unknown> = {
  name: 'Sam Teacher',
  given_name: 'Amara',
  family_name: 'Example',
  email: 'coordinator@council.example',
  postcode: 'BR1 3AB',
  gender: 'female',
  role: 'Mentoring coordinator',
  organisation: 'Ravens Wood School',
  team: 'Pastoral',
  phone: '020 7946 0000',
  reason: 'The family moved out of the area.',
  note: 'Discussed with the referrer.',
  questions: 'Is there a social worker involved?',
  answers: 'Yes: the allocated social worker is on the team above.',
  location: 'School library',
  description: 'Concern raised after a session.',
  url: 'https://council.example/webhooks/waymark',
  code: 'BMI',
  relationship: 'mother',
  lado_reference: 'LADO-2026-0042',
  title: 'Build confidence in class',
  statement: 'Finding it hard to settle.',
  notes: 'Met at the library; talked about football.',
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
}

function resolve(schema: SchemaNode, doc: SchemaComponents): SchemaNode {
  if (typeof schema.$ref === 'string' && schema.$ref.startsWith('#/components/schemas/')) {
    return doc.components.schemas[schema.$ref.slice('#/components/schemas/'.length)] ?? {}
  }
  return schema
}

function stringExample(s: SchemaNode, name: string): string {
  switch (s.format) {
    case 'uuid':
      return '7c9e6679-7425-40de-944b-e07fc1f90ae7'
    case 'date':
      return '2026-11-02'
    case 'date-time':
      return '2026-11-02T16:00:00Z'
    case 'email':
      return 'coordinator@council.example'
    case 'uri':
      return 'https://council.example/webhooks/waymark'
  }
  const known = BY_NAME[name]
  let value = typeof known === 'string' ? known : 'Example text'
  const pattern = s.pattern
  if (typeof pattern === 'string' && !new RegExp(pattern, 'u').test(value)) {
    value =
      ['BMI', 'bmi', 'example', 'EXAMPLE', 'A1', 'a-1', '12345', '001234567890', '10:00'].find((v) =>
        new RegExp(pattern, 'u').test(v)
      ) ?? value
  }
  if (typeof s.maxLength === 'number' && value.length > s.maxLength) value = value.slice(0, s.maxLength)
  if (typeof s.minLength === 'number' && value.length < s.minLength) value = value.padEnd(s.minLength, 'x')
  return value
}

/** An example value that the schema accepts: required fields only, the first of every choice. */
export function exampleOf(schema: SchemaNode, doc: SchemaComponents, name = '', depth = 0): unknown {
  const s = resolve(schema, doc)
  if (depth > 8) return undefined
  if ('const' in s) return s.const
  if (Array.isArray(s.enum)) return s.enum.find((v) => v !== null) ?? s.enum[0]
  const choice = s.anyOf ?? s.oneOf
  if (Array.isArray(choice)) return exampleOf(choice.find((c) => c.type !== 'null') ?? choice[0], doc, name, depth + 1)
  if (Array.isArray(s.allOf)) return Object.assign({}, ...s.allOf.map((p) => exampleOf(p, doc, name, depth + 1)))
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {}
      for (const key of s.required ?? []) {
        const v = exampleOf(s.properties?.[key] ?? {}, doc, key, depth + 1)
        if (v !== undefined) out[key] = v
      }
      // A change needs at least one field: the first one it may name.
      if (Object.keys(out).length < (s.minProperties ?? 0)) {
        const first = Object.keys(s.properties ?? {})[0]
        if (first !== undefined) out[first] = exampleOf(s.properties?.[first] ?? {}, doc, first, depth + 1)
        else if (typeof s.additionalProperties === 'object')
          out.confidence = exampleOf(s.additionalProperties, doc, 'confidence', depth + 1)
        else if (typeof s.patternProperties === 'object') {
          const [pattern, value] = Object.entries(s.patternProperties)[0]
          out[['confidence', 'field', 'a'].find((k) => new RegExp(pattern, 'u').test(k)) ?? 'a'] = exampleOf(
            value,
            doc,
            'confidence',
            depth + 1
          )
        }
      }
      return out
    }
    case 'array': {
      const items = resolve(s.items ?? {}, doc)
      const count = Math.max(1, s.minItems ?? 1)
      // Distinct values where the items are a choice (attendees of a meeting, areas of need).
      if (Array.isArray(items.enum)) return items.enum.slice(0, count)
      return Array.from({ length: count }, () => exampleOf(items, doc, name, depth + 1))
    }
    case 'integer':
    case 'number': {
      const min =
        typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + 1 : 1
      return typeof s.maximum === 'number' ? Math.min(Math.max(min, 1), s.maximum) : Math.max(min, 1)
    }
    case 'boolean':
      return name === 'is_parent_or_carer' ? false : true
    case 'string':
      return stringExample(s, name)
    case 'null':
      return null
    default:
      return {}
  }
}
