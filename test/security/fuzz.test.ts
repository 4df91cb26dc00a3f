import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { InjectOptions } from 'fastify'
import { referralBody } from '../support/bodies.js'
import { setUp } from '../support/set-up.js'
import { auth, tokenFor } from '../support/tokens.js'

/**
 * Every operation of the OpenAPI document, fed invalid and boundary values derived from its own
 * schemas: never a 5xx; every 4xx is problem+json; every 400 names the field it refuses.
 */

type Schema = Record<string, any>
interface Parameter {
  in: 'path' | 'query' | 'header'
  name: string
  required?: boolean
  schema: Schema
}
interface Operation {
  operationId: string
  parameters?: Parameter[]
  requestBody?: { content: Record<string, { schema: Schema }> }
}
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

const HUGE_STRING = 'x'.repeat(20_000)
const BAD_UUIDS = [
  'not-a-uuid',
  '123',
  '00000000-0000-0000-0000-00000000000g',
  `${randomUUID()}0`,
  "' or 1=1 --",
  '%00',
  '..%2F..%2Fetc%2Fpasswd',
  'x'.repeat(400)
]
const BAD_DATES = [
  '2026-02-30',
  '2026-13-01',
  '2025-02-29',
  '0000-00-00',
  '26-1-1',
  '2026-1-1',
  'tomorrow',
  '2026-02-28T00:00:00Z'
]
const BAD_INSTANTS = ['2026-02-30T10:00:00Z', '2026-01-01T25:00:00Z', 'now', '2026-01-01']

/** Strings for pattern-constrained fields: the first that the pattern accepts is used as a valid sample. */
const PATTERN_SAMPLES = [
  'BR1 3AB',
  '101695',
  '020 7946 0000',
  'BR',
  'referral_acknowledged',
  'abc',
  'ABC',
  '09:00',
  'a',
  'A1'
]

function resolve(doc: Schema, schema: Schema): Schema {
  let s = schema
  for (let i = 0; i < 10 && typeof s?.$ref === 'string'; i++) {
    const name = s.$ref.replace(/^#\/components\/schemas\//, '')
    s = doc.components.schemas[name]
  }
  return s ?? {}
}

const nonNull = (doc: Schema, s: Schema): Schema => {
  const alts: Schema[] | undefined = s.anyOf ?? s.oneOf
  if (alts === undefined) return s
  return resolve(doc, alts.find((a) => resolve(doc, a).type !== 'null') ?? alts[0])
}

/** A value the schema accepts (as far as a schema alone can tell). */
function sample(doc: Schema, schema: Schema, name = ''): unknown {
  const s = nonNull(doc, resolve(doc, schema))
  if (s.const !== undefined) return s.const
  if (Array.isArray(s.enum)) return s.enum[0]
  switch (s.type) {
    case 'object': {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries<Schema>(s.properties ?? {})) {
        const value = sample(doc, v, k)
        if (value !== undefined) out[k] = value
      }
      return out
    }
    case 'array': {
      const item = sample(doc, s.items ?? {}, name)
      return item === undefined ? [] : [item]
    }
    case 'string': {
      if (s.format === 'uuid') return randomUUID()
      if (s.format === 'date') return '2026-01-15'
      if (s.format === 'date-time') return '2026-01-15T09:30:00.000Z'
      if (s.format === 'email') return `fuzz-${randomUUID().slice(0, 8)}@council.example`
      if (typeof s.pattern === 'string') {
        const re = new RegExp(s.pattern)
        if (name === 'code' && re.test('ABC'))
          return Array.from({ length: 6 }, () => String.fromCharCode(65 + Math.floor(Math.random() * 26))).join('')
        return PATTERN_SAMPLES.find((c) => re.test(c))
      }
      const min = s.minLength ?? 1
      return 'Sample text'.padEnd(min, 'x').slice(0, s.maxLength ?? 1000)
    }
    case 'integer':
      return Math.max(s.minimum ?? 1, Math.min(s.maximum ?? 1, 1))
    case 'number':
      return Math.max(s.minimum ?? 1, Math.min(s.maximum ?? 1, 1))
    case 'boolean':
      return false
    default:
      return undefined
  }
}

/** Invalid and boundary replacements for a value of this schema. */
function badValues(doc: Schema, schema: Schema): unknown[] {
  const s = nonNull(doc, resolve(doc, schema))
  const out: unknown[] = [null, { nested: true }]
  if (Array.isArray(s.enum)) out.push('not_a_value', String(s.enum[0]).toUpperCase(), 7)
  switch (s.type) {
    case 'string':
      out.push(42, '', '\u0000', "'; drop table referrals; --")
      out.push(s.maxLength !== undefined ? '💥'.repeat(s.maxLength + 1) : HUGE_STRING)
      if (s.format === 'uuid') out.push(...BAD_UUIDS)
      if (s.format === 'date') out.push(...BAD_DATES)
      if (s.format === 'date-time') out.push(...BAD_INSTANTS)
      if (s.format === 'email') out.push('nobody', 'a@', '@b.example')
      break
    case 'integer':
    case 'number':
      out.push('twelve', -1, 1.5, 2 ** 31, 1e308, -1e308)
      if (s.minimum !== undefined) out.push(s.minimum - 1)
      if (s.maximum !== undefined) out.push(s.maximum + 1)
      break
    case 'boolean':
      out.push('maybe', 2)
      break
    case 'array':
      out.push(
        'a string',
        Array.from({ length: 1000 }, (_v, i) => `item-${i}`),
        [null]
      )
      if (s.minItems !== undefined) out.push([])
      break
    case 'object':
      out.push('a string', 12)
      break
    default:
      break
  }
  return out
}

interface Mutation {
  label: string
  path: string
  body: unknown
}

/** The baseline with one field replaced, removed, or with an unknown field beside it. */
function* mutations(doc: Schema, schema: Schema, value: unknown, path: string): Generator<Mutation> {
  const s = nonNull(doc, resolve(doc, schema))
  if (s.type === 'object' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>
    yield {
      label: `${path} with an unknown field`,
      path: `${path}/unexpected_field`,
      body: { ...obj, unexpected_field: 1 }
    }
    for (const key of (s.required ?? []) as string[]) {
      if (!(key in obj) || resolve(doc, s.properties?.[key] ?? {}).default !== undefined) continue
      const { [key]: _removed, ...rest } = obj
      yield { label: `${path}/${key} missing`, path: `${path}/${key}`, body: rest }
    }
    for (const [key, child] of Object.entries<Schema>(s.properties ?? {})) {
      if (!(key in obj)) continue
      for (const m of mutations(doc, child, obj[key], `${path}/${key}`)) yield { ...m, body: { ...obj, [key]: m.body } }
    }
  } else if (s.type === 'array' && Array.isArray(value) && value.length > 0) {
    for (const m of mutations(doc, s.items ?? {}, value[0], `${path}/0`))
      yield { ...m, body: [m.body, ...value.slice(1)] }
  }
  for (const bad of badValues(doc, s)) {
    yield { label: `${path} = ${JSON.stringify(bad)?.slice(0, 40)}`, path, body: bad }
  }
}

// Thousands of requests: allow for a busy machine beyond the suite's per-file default.
t.setTimeout(600_000)

t.test('fuzzing every operation', async (t) => {
  const { app, tenant, other } = await setUp(t, { other: true })
  const programmeId = await tenant.programme()
  await other.programme()

  const ids: Record<string, string> = {}
  const staff = tenant.token(['coordinator', 'admin'], { sub: 'fuzz-staff' })
  const tokens = [
    staff,
    tokenFor('platform_admin', { org: null }),
    tenant.token('mentor', { mentorId: randomUUID() }),
    tenant.token('referrer'),
    tenant.token('integration')
  ]

  // Real records for the {id}s, so that bodies reach the services and not only the router.
  const first = await app.inject({
    method: 'POST',
    url: '/v1/referrals',
    headers: auth(staff),
    payload: referralBody(programmeId)
  })
  t.equal(first.statusCode, 201, 'a referral to fuzz against')

  const doc = app.swagger() as unknown as Schema
  let requests = 0
  const failures: string[] = []

  async function send(what: string, opts: InjectOptions, field?: string): Promise<number> {
    requests += 1
    const res = await app.inject(opts)
    const problem = `${what} -> ${res.statusCode} ${res.body.slice(0, 200)}`
    if (res.statusCode >= 500) failures.push(`5xx: ${problem}`)
    if (res.statusCode >= 400) {
      if (!/^application\/problem\+json/.test(String(res.headers['content-type']))) {
        failures.push(`not problem+json: ${problem}`)
        return res.statusCode
      }
      const body = res.json()
      for (const key of ['type', 'title', 'detail', 'code'])
        if (typeof body[key] !== 'string' || body[key].length === 0) failures.push(`no ${key}: ${problem}`)
      if (body.status !== res.statusCode) failures.push(`status field differs: ${problem}`)
      if (res.statusCode === 400) {
        const errors = body.errors as Array<{ path: unknown; message: unknown }> | undefined
        if (!Array.isArray(errors) || errors.length === 0) failures.push(`400 without errors[]: ${problem}`)
        else if (
          !errors.every(
            (e) =>
              typeof e.path === 'string' &&
              /^(body|query|params|headers)(\/|$)/.test(e.path) &&
              typeof e.message === 'string'
          )
        )
          failures.push(`400 errors without field paths: ${problem}`)
        else if (
          field !== undefined &&
          !errors.some((e) => e.path === field || (e.path as string).startsWith(`${field}/`))
        )
          failures.push(`400 does not name ${field}: ${problem}`)
      }
    }
    return res.statusCode
  }

  async function idFor(path: string): Promise<string> {
    const collection = path.split('/{')[0]
    if (ids[collection] !== undefined) return ids[collection]
    const res = await app.inject({ method: 'GET', url: `${collection}?limit=1`, headers: auth(staff) })
    const found = res.statusCode === 200 ? res.json().data?.[0]?.id : undefined
    ids[collection] = typeof found === 'string' ? found : randomUUID()
    return ids[collection]
  }

  for (const [path, item] of Object.entries<Record<string, Operation>>(doc.paths)) {
    for (const lower of ['get', 'post', 'put', 'patch', 'delete']) {
      const op = item[lower]
      if (op === undefined) continue
      const method = lower.toUpperCase() as Method
      const params = (op.parameters ?? []).map((p) => ({ ...p, schema: resolve(doc, p.schema) }))
      const pathParams = params.filter((p) => p.in === 'path')
      const queryParams = params.filter((p) => p.in === 'query')
      const headerParams = params.filter((p) => p.in === 'header')
      const bodySchema = op.requestBody?.content?.['application/json']?.schema

      const pathValues: Record<string, string> = {}
      for (const p of pathParams) pathValues[p.name] = p.name === 'id' ? await idFor(path) : randomUUID()
      const urlWith = (values: Record<string, string>, query = ''): string =>
        path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(values[name])) + query
      const baseBody = (): unknown =>
        bodySchema === undefined
          ? undefined
          : op.operationId === 'createReferral'
            ? referralBody(programmeId)
            : sample(doc, bodySchema)

      // The caller: the first token whose role may call the operation at all.
      let token = staff
      if (path.startsWith('/v1/')) {
        for (const candidate of tokens) {
          const probe = await app.inject({
            method,
            url: urlWith(pathValues),
            headers: auth(candidate),
            ...(bodySchema !== undefined ? { payload: baseBody() as any } : {})
          })
          token = candidate
          if (probe.statusCode !== 403) break
        }
      }
      const headers = auth(token)
      const name = `${method} ${path}`

      await send(`${name} baseline`, {
        method,
        url: urlWith(pathValues),
        headers,
        ...(bodySchema !== undefined ? { payload: baseBody() as any } : {})
      })

      for (const p of pathParams) {
        for (const bad of BAD_UUIDS) {
          await send(
            `${name} path ${p.name}=${bad.slice(0, 30)}`,
            {
              method,
              url: urlWith({ ...pathValues, [p.name]: bad }),
              headers,
              ...(bodySchema !== undefined ? { payload: baseBody() as any } : {})
            },
            `params/${p.name}`
          )
        }
        const unknown = await send(`${name} path ${p.name} unknown`, {
          method,
          url: urlWith({ ...pathValues, [p.name]: randomUUID() }),
          headers,
          ...(bodySchema !== undefined ? { payload: baseBody() as any } : {})
        })
        if (![400, 404, 422].includes(unknown)) failures.push(`${name} with an unknown ${p.name} answered ${unknown}`)
      }

      if (pathParams.length > 0) {
        await send(`${name} malformed percent-encoding`, { method, url: path.replace(/\{\w+\}/g, '%E0%A4%A'), headers })
      }

      for (const q of queryParams) {
        const values = [...badValues(doc, q.schema).filter((v) => typeof v !== 'object'), 'eyJ4IjoxfQ', '-', '%']
        for (const bad of values) {
          const qs = `?${q.name}=${encodeURIComponent(String(bad)).slice(0, 3000)}`
          await send(`${name} query ${q.name}=${String(bad).slice(0, 30)}`, {
            method,
            url: urlWith(pathValues, qs),
            headers
          })
        }
        await send(`${name} query ${q.name} twice`, {
          method,
          url: urlWith(pathValues, `?${q.name}=1&${q.name}=2`),
          headers
        })
      }
      if (method === 'GET' && path.startsWith('/v1/')) {
        await send(
          `${name} unknown query`,
          { method, url: urlWith(pathValues, '?unexpected=1'), headers },
          'query/unexpected'
        )
      }

      for (const h of headerParams) {
        for (const bad of ['', 'x'.repeat(1000), '"stale"', 'W/"0-0"', '*']) {
          await send(`${name} header ${h.name}=${bad.slice(0, 20)}`, {
            method,
            url: urlWith(pathValues),
            headers: { ...headers, [h.name]: bad },
            ...(bodySchema !== undefined ? { payload: baseBody() as any } : {})
          })
        }
      }

      if (bodySchema === undefined) continue
      const wholeBodies: Array<[string, InjectOptions['payload'], string]> = [
        ['no body', undefined, 'application/json'],
        ['empty JSON body', '', 'application/json'],
        ['null', 'null', 'application/json'],
        ['an array', '[]', 'application/json'],
        ['a string', '"text"', 'application/json'],
        ['a number', '12', 'application/json'],
        ['not JSON', '{"name": ', 'application/json'],
        ['prototype pollution', '{"__proto__": {"admin": true}}', 'application/json'],
        ['constructor pollution', '{"constructor": {"prototype": {"admin": true}}}', 'application/json'],
        ['deep nesting', `${'['.repeat(5000)}${']'.repeat(5000)}`, 'application/json'],
        ['text/plain', 'hello', 'text/plain'],
        ['form encoded', 'name=x&code=AB', 'application/x-www-form-urlencoded'],
        ['xml', '<referral/>', 'application/xml'],
        ['no content-type', JSON.stringify(baseBody()), ''],
        ['too large', JSON.stringify({ padding: 'x'.repeat(300 * 1024) }), 'application/json']
      ]
      for (const [label, payload, contentType] of wholeBodies) {
        const h: Record<string, string> = { ...headers }
        if (contentType !== '') h['content-type'] = contentType
        await send(`${name} ${label}`, {
          method,
          url: urlWith(pathValues),
          headers: h,
          ...(payload !== undefined ? { payload } : {})
        })
      }

      const baseline = baseBody()
      const baselineStatus = await send(`${name} baseline body`, {
        method,
        url: urlWith(pathValues),
        headers,
        payload: baseline as any
      })
      for (const m of mutations(doc, bodySchema, baseline, 'body')) {
        // Only when the untouched body passes validation must a 400 be about the changed field.
        await send(
          `${name} ${m.label}`,
          { method, url: urlWith(pathValues), headers, payload: m.body as any },
          baselineStatus === 400 ? undefined : m.path
        )
      }
    }
  }

  t.ok(requests > 1000, `sent ${requests} requests`)
  t.same(failures.slice(0, 400), [], `${failures.length} failures`)
})
