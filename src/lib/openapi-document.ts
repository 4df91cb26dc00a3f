/**
 * Finishes the OpenAPI document the routes describe, in one place, so that route modules keep
 * declaring plain TypeBox schemas: every request body, resource and page becomes a named component
 * schema; request bodies get input schemas without `default` (a generated client would otherwise make
 * those fields required); parameters with a default are optional; every enum states its type; the
 * headers the API sends are declared; every request body has an example and every response a description.
 */
import { exampleOf, REQUEST_EXAMPLES, type SchemaNode } from './openapi-examples.js'

interface MediaType {
  schema?: SchemaNode
  example?: unknown
  [key: string]: unknown
}

interface ResponseObject {
  description?: string
  headers?: Record<string, unknown>
  content?: Record<string, MediaType>
  [key: string]: unknown
}

interface Operation {
  operationId: string
  summary?: string
  description?: string
  parameters?: Array<{ schema?: SchemaNode; required?: boolean; [key: string]: unknown }>
  requestBody?: { content?: Record<string, MediaType>; [key: string]: unknown }
  responses: Record<string, ResponseObject>
  [key: string]: unknown
}

/** The OpenAPI document as @fastify/swagger makes it: the parts refined here typed, the rest unknown. */
export interface OpenApiObject {
  components?: { schemas?: Record<string, SchemaNode>; headers?: Record<string, unknown>; [key: string]: unknown }
  paths: Record<string, Record<string, Operation>>
  [key: string]: unknown
}

const REF = '#/components/schemas/'
const HEADERS = '#/components/headers/'

const pascal = (s: string): string =>
  s
    .replace(/(^|[-_\s])([a-z])/g, (_m, _p: string, c: string) => c.toUpperCase())
    .replace(/^[a-z]/, (c) => c.toUpperCase())

/** The noun of a read operation: getReferral is Referral, listMentorInterviews is MentorInterview. */
function noun(operationId: string): string | null {
  const m = /^(get|list)([A-Z]\w*)$/.exec(operationId)
  if (m === null) return null
  const rest = m[2]
  if (m[1] === 'list')
    return rest
      .replace(/ies$/, 'y')
      .replace(/(ch|sh|ss|x)es$/, '$1')
      .replace(/s$/, '')
  return rest
}

function walk(node: unknown, visit: (n: SchemaNode) => void): void {
  if (Array.isArray(node)) {
    node.forEach((n) => walk(n, visit))
    return
  }
  if (node === null || typeof node !== 'object') return
  visit(node as SchemaNode)
  for (const v of Object.values(node)) walk(v, visit)
}

function typeOf(v: unknown): string {
  if (v === null) return 'null'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  return typeof v
}

/** `type` on every enum and const, from its values. */
function typeEnums(doc: OpenApiObject): void {
  walk(doc, (n) => {
    const values: unknown[] | undefined = Array.isArray(n.enum) ? n.enum : 'const' in n ? [n.const] : undefined
    if (values === undefined || n.type !== undefined) return
    let types = [...new Set(values.map(typeOf))]
    if (types.includes('integer') && types.includes('number')) types = types.filter((t) => t !== 'integer')
    n.type = types.length === 1 ? types[0] : types
  })
}

/** A copy without `default` anywhere, the default told in the description instead. */
function withoutDefaults<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(withoutDefaults) as T
  if (schema === null || typeof schema !== 'object') return schema
  const node = schema as SchemaNode
  const out: SchemaNode = {}
  for (const [k, v] of Object.entries(node)) {
    if (k === 'default') continue
    // Property names, enum values and examples are data, not schemas.
    out[k] = k === 'enum' || k === 'examples' || k === 'example' || k === 'required' ? v : withoutDefaults(v)
  }
  // A field with a default may be left out.
  if (Array.isArray(out.required) && out.properties !== undefined) {
    const optional = new Set(
      Object.entries(node).length > 0
        ? Object.entries(node.properties ?? {})
            .filter(([, p]) => p !== null && typeof p === 'object' && 'default' in p)
            .map(([k]) => k)
        : []
    )
    out.required = out.required.filter((k) => !optional.has(k))
    if (out.required.length === 0) delete out.required
  }
  if ('default' in node && typeof node.default !== 'object') {
    const told = `Default: \`${JSON.stringify(node.default)}\`.`
    out.description = typeof out.description === 'string' ? `${out.description}. ${told}` : told
  }
  return out as T
}

function hasDefault(schema: unknown): boolean {
  let found = false
  walk(schema, (n) => {
    if ('default' in n) found = true
  })
  return found
}

class Namer {
  private readonly byShape = new Map<string, string>()
  constructor(private readonly schemas: Record<string, SchemaNode>) {
    for (const [name, s] of Object.entries(schemas)) this.byShape.set(JSON.stringify(s), name)
  }

  /** A $ref to the schema under `name` (or under the name an identical schema has already). */
  ref(schema: SchemaNode, name: string): SchemaNode {
    if (typeof schema.$ref === 'string') return schema
    const shape = JSON.stringify(schema)
    let chosen = this.byShape.get(shape)
    if (chosen === undefined) {
      chosen = name
      for (let i = 2; this.schemas[chosen] !== undefined; i++) chosen = `${name}${i}`
      this.schemas[chosen] = schema
      this.byShape.set(shape, chosen)
    }
    return { $ref: `${REF}${chosen}` }
  }
}

/** The input twin of a component schema with defaults: the same without them, named `<Name>Input`. */
function inputSchemas(schemas: Record<string, SchemaNode>, body: unknown): void {
  walk(body, (n) => {
    if (typeof n.$ref !== 'string' || !n.$ref.startsWith(REF)) return
    const name = n.$ref.slice(REF.length)
    if (name.endsWith('Input') || !hasDefault(schemas[name])) return
    const input = `${name}Input`
    if (schemas[input] === undefined) {
      schemas[input] = withoutDefaults(schemas[name])
      inputSchemas(schemas, schemas[input])
    }
    n.$ref = `${REF}${input}`
  })
}

function isPage(s: SchemaNode): boolean {
  return s.type === 'object' && s.properties?.data?.type === 'array' && s.properties?.next_cursor !== undefined
}

const LOCATION = new Set([
  'recordEvaluation',
  'runJob',
  'createMatch',
  'createMatchingPlan',
  'createMentor',
  'createOrganisation',
  'createProgramme',
  'createReferral',
  'raiseConcern',
  'createUser',
  'createWebhook'
])
const ETAG = new Set([
  'getReferral',
  'getMentor',
  'getProgramme',
  'getMatch',
  'getWebhook',
  'updateReferral',
  'updateMentor',
  'updateProgramme',
  'updateUser',
  'updateWebhook',
  'createProgramme',
  'createUser'
])

const COMPONENT_HEADERS: Record<string, unknown> = {
  XRequestId: {
    description:
      "The request's id (yours, when you sent a valid `x-request-id`); it is in every log line and error body",
    schema: { type: 'string' }
  },
  ETag: {
    description: 'The version of the resource; send it back in `If-Match` to update it',
    schema: { type: 'string' }
  },
  Location: { description: 'Where the created resource (or the queued run) can be read', schema: { type: 'string' } },
  RetryAfter: { description: 'Seconds to wait before trying again', schema: { type: 'integer', minimum: 0 } },
  RateLimitLimit: {
    description: 'Requests allowed per window (RATE_LIMIT_MAX)',
    schema: { type: 'integer', minimum: 0 }
  },
  RateLimitRemaining: { description: 'Requests left in the current window', schema: { type: 'integer', minimum: 0 } },
  RateLimitReset: { description: 'Seconds until the window resets', schema: { type: 'integer', minimum: 0 } }
}

const STATUS_TEXT: Record<string, string> = {
  200: 'The result',
  201: 'Created',
  202: 'Accepted',
  204: 'Done; no content'
}

function headersFor(operationId: string, path: string, status: string): Record<string, { $ref: string }> {
  const h: Record<string, { $ref: string }> = { 'x-request-id': { $ref: `${HEADERS}XRequestId` } }
  const ok = status.startsWith('2')
  if (path.startsWith('/v1/') && (ok || status === '429')) {
    h['x-ratelimit-limit'] = { $ref: `${HEADERS}RateLimitLimit` }
    h['x-ratelimit-remaining'] = { $ref: `${HEADERS}RateLimitRemaining` }
    h['x-ratelimit-reset'] = { $ref: `${HEADERS}RateLimitReset` }
  }
  if (status === '429' || status === '503') h['retry-after'] = { $ref: `${HEADERS}RetryAfter` }
  if (ok && LOCATION.has(operationId)) h.location = { $ref: `${HEADERS}Location` }
  if (ok && ETAG.has(operationId)) h.etag = { $ref: `${HEADERS}ETag` }
  return h
}

/**
 * An object default that its own schema refuses (`{}` for an object with required members, filled in
 * member by member by their own defaults) says nothing a reader can use: left out.
 */
function dropPartialDefaults(doc: OpenApiObject): void {
  walk(doc, (n) => {
    const given = n.default
    if (given === null || typeof given !== 'object' || Array.isArray(given)) return
    const required = Array.isArray(n.required) ? n.required : []
    if (required.some((k) => !(k in given))) delete n.default
  })
}

/** Applies every rule above to the document as @fastify/swagger made it (its `transformObject`). */
export function refineOpenApi(generated: OpenApiObject): OpenApiObject {
  // A copy: the document may share objects with the schemas the routes validate with.
  const doc = structuredClone(generated)
  doc.components ??= {}
  const schemas = (doc.components.schemas ??= {})
  doc.components.headers = { ...doc.components.headers, ...COMPONENT_HEADERS }
  const namer = new Namer(schemas)
  const operations: Array<{ path: string; method: string; op: Operation }> = []
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) operations.push({ path, method, op })
  }
  // Reads name the resources first, so that writes answering with the same shape refer to them.
  const order = (o: { op: Operation }): number =>
    /^get/.test(o.op.operationId) ? 0 : /^list/.test(o.op.operationId) ? 1 : 2
  for (const { path, op } of [...operations].sort((a, b) => order(a) - order(b))) {
    const id = op.operationId
    op.description ??= op.summary
    for (const p of op.parameters ?? []) {
      if (p.schema !== undefined && 'default' in p.schema) p.required = false
    }
    const body = op.requestBody?.content?.['application/json']
    if (body?.schema !== undefined) {
      const input = withoutDefaults(body.schema)
      inputSchemas(schemas, input)
      body.schema = namer.ref(input, `${pascal(id)}Request`)
      body.example = REQUEST_EXAMPLES[id] ?? body.example ?? exampleOf(input, { components: { schemas } })
    }
    for (const [status, r] of Object.entries(op.responses)) {
      if (r.description === undefined || r.description === 'Default Response') {
        r.description = status.startsWith('2')
          ? `${STATUS_TEXT[status] ?? 'The result'}: ${op.summary?.replace(/^./, (c) => c.toLowerCase()) ?? id}`
          : `Status ${status}`
      }
      r.headers = { ...headersFor(id, path, status), ...r.headers }
      const json = r.content?.['application/json']
      if (!status.startsWith('2') || json?.schema === undefined || typeof json.schema.$ref === 'string') continue
      const name = noun(id)
      const data = json.schema.properties?.data
      if (isPage(json.schema) && data?.items !== undefined) {
        const itemRef = namer.ref(data.items, name ?? `${pascal(id)}Item`)
        data.items = itemRef
        json.schema = namer.ref(json.schema, `${(itemRef.$ref ?? '').slice(REF.length)}Page`)
      } else {
        json.schema = namer.ref(json.schema, name ?? `${pascal(id)}Response`)
      }
    }
  }
  typeEnums(doc)
  dropPartialDefaults(doc)
  return doc
}
