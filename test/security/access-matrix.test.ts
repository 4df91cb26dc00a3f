import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Role } from '../../src/auth/roles.js'
import { auth, build, createTenant, referralBody, tokenFor, type Tenant } from '../helper.js'

/**
 * Every /v1 route x every role x (own record, another owner's in the same organisation, another
 * organisation's), with the status api.md promises. Forbidden roles are refused before any record is
 * looked at (403); a record the caller may not see is a 404, never a 403, so its existence leaks nothing.
 */

type Caller = Role | 'none'
type Scope = 'own' | 'other' | 'foreign'
const CALLERS: Caller[] = ['platform_admin', 'admin', 'coordinator', 'referrer', 'mentor', 'integration', 'none']
const SCOPES: Scope[] = ['own', 'other', 'foreign']

interface Request { url: string, payload?: Record<string, unknown> }

interface Entry {
  /** Roles that may call the route at all; every other role gets 403 and no token gets 401. */
  roles: Role[]
  /** The status of a call that is allowed and sees the record. */
  ok: number
  /**
   * `record`: the route addresses one record (own / other / foreign); `list`: the route lists records
   * and must show only those the caller may see; `none`: no record to scope (create, the caller's own org).
   */
  kind: 'record' | 'list' | 'none'
  /** Roles that see only their own records: another owner's record is 404 to them, and absent from lists. */
  ownOnly?: Role[]
  /** Builds the request against a record of the given scope, freshly made when the call changes it. */
  make: (ctx: Context, scope: Scope) => Promise<Request>
  /** For lists: the ids of the page. */
  ids?: (body: any) => string[]
}

interface Context {
  app: FastifyInstance
  a: Tenant
  b: Tenant
  programmeA: string
  programmeB: string
  userA: string
  userB: string
  /** A referral of the scope: own = made by the calling referrer, other = by another referrer of the org, foreign = another org's. */
  referral: (scope: Scope) => Promise<string>
  /** The same, made once and reused by routes that only read. */
  fixed: Record<Scope, string>
  token: (caller: Caller) => string | undefined
}

const OWN_REFERRER = 'referrer-own'
const MENTOR_ID = randomUUID()
const letters = (n: number): string => Array.from({ length: n }, () => String.fromCharCode(65 + Math.floor(Math.random() * 26))).join('')

const programmeOf = (ctx: Context, scope: Scope): string => scope === 'foreign' ? ctx.programmeB : ctx.programmeA
const userOf = (ctx: Context, scope: Scope): string => scope === 'foreign' ? ctx.userB : ctx.userA

const READERS: Role[] = ['coordinator', 'admin', 'integration', 'referrer']
const ORG_ROLES: Role[] = ['admin', 'coordinator', 'referrer', 'mentor', 'integration']

/** A fresh referral of the scope, moved into `information_requested` by a coordinator of its org. */
async function referralAwaitingInformation (ctx: Context, scope: Scope): Promise<string> {
  const id = await ctx.referral(scope)
  const tenant = scope === 'foreign' ? ctx.b : ctx.a
  const res = await ctx.app.inject({ method: 'POST', url: `/v1/referrals/${id}/request-information`, headers: auth(tenant.token('coordinator')), payload: { questions: 'Which school does the young person attend now?' } })
  if (res.statusCode !== 200) throw new Error(`request-information: ${res.statusCode} ${res.body}`)
  return id
}

const action = (path: string, payload: Record<string, unknown>, prepare: (ctx: Context, scope: Scope) => Promise<string> = async (ctx, scope) => await ctx.referral(scope)) =>
  async (ctx: Context, scope: Scope): Promise<Request> => ({ url: `/v1/referrals/${await prepare(ctx, scope)}/${path}`, payload })

/**
 * The matrix. A route without an entry here fails the test: add one, keyed `METHOD /path` exactly as
 * the OpenAPI document spells it, stating the roles api.md allows, the success status, and how to make
 * an own / same-organisation / other-organisation record for it.
 */
const MATRIX: Record<string, Entry> = {
  'POST /v1/organisations': {
    roles: ['platform_admin'], ok: 201, kind: 'none',
    make: async () => ({ url: '/v1/organisations', payload: { name: 'Matrix Org', code: letters(6) } })
  },
  'GET /v1/organisation': { roles: ORG_ROLES, ok: 200, kind: 'none', make: async () => ({ url: '/v1/organisation' }) },

  'POST /v1/programmes': {
    roles: ['admin'], ok: 201, kind: 'none',
    make: async () => ({ url: '/v1/programmes', payload: { name: `Matrix ${letters(4)}`, kind: 'mentoring', rules: {} } })
  },
  'GET /v1/programmes': {
    roles: ORG_ROLES, ok: 200, kind: 'list',
    make: async () => ({ url: '/v1/programmes?limit=200' }),
    ids: (body) => body.data.map((p: { id: string }) => p.id)
  },
  'GET /v1/programmes/{id}': { roles: ORG_ROLES, ok: 200, kind: 'record', make: async (ctx, s) => ({ url: `/v1/programmes/${programmeOf(ctx, s)}` }) },
  'PATCH /v1/programmes/{id}': {
    roles: ['admin'], ok: 200, kind: 'record',
    make: async (ctx, s) => ({ url: `/v1/programmes/${programmeOf(ctx, s)}`, payload: { description: `Changed ${letters(4)}` } })
  },

  'POST /v1/referrals': {
    roles: ['referrer', 'coordinator', 'integration'], ok: 201, kind: 'none',
    make: async (ctx) => ({ url: '/v1/referrals', payload: referralBody(ctx.programmeA) })
  },
  'GET /v1/referrals': {
    roles: READERS, ok: 200, kind: 'list', ownOnly: ['referrer'],
    make: async () => ({ url: '/v1/referrals?limit=200' }),
    ids: (body) => body.data.map((r: { id: string }) => r.id)
  },
  'GET /v1/referrals/{id}': { roles: READERS, ok: 200, kind: 'record', ownOnly: ['referrer'], make: async (ctx, s) => ({ url: `/v1/referrals/${ctx.fixed[s]}` }) },
  'GET /v1/referrals/{id}/history': { roles: READERS, ok: 200, kind: 'record', ownOnly: ['referrer'], make: async (ctx, s) => ({ url: `/v1/referrals/${ctx.fixed[s]}/history` }) },
  'PATCH /v1/referrals/{id}': {
    roles: ['referrer', 'coordinator'], ok: 200, kind: 'record', ownOnly: ['referrer'],
    make: async (ctx, s) => ({ url: `/v1/referrals/${await ctx.referral(s)}`, payload: { other_services: ['School counsellor'] } })
  },
  'POST /v1/referrals/{id}/start-review': { roles: ['coordinator'], ok: 200, kind: 'record', make: action('start-review', {}) },
  'POST /v1/referrals/{id}/request-information': { roles: ['coordinator'], ok: 200, kind: 'record', make: action('request-information', { questions: 'Is there a social worker?' }) },
  'POST /v1/referrals/{id}/provide-information': {
    roles: ['referrer', 'coordinator'], ok: 200, kind: 'record', ownOnly: ['referrer'],
    make: action('provide-information', { answers: 'Yes, since September.' }, referralAwaitingInformation)
  },
  'POST /v1/referrals/{id}/accept': { roles: ['coordinator'], ok: 200, kind: 'record', make: action('accept', {}) },
  'POST /v1/referrals/{id}/decline': { roles: ['coordinator'], ok: 200, kind: 'record', make: action('decline', { reason_code: 'better_served_elsewhere' }) },
  'POST /v1/referrals/{id}/withdraw': {
    roles: ['referrer', 'coordinator'], ok: 200, kind: 'record', ownOnly: ['referrer'],
    make: action('withdraw', { reason: 'The family moved out of the area.' })
  },

  'GET /v1/notifications': {
    roles: ['coordinator', 'admin'], ok: 200, kind: 'list',
    make: async () => ({ url: '/v1/notifications?limit=200' }),
    ids: (body) => body.data.map((n: { subject_id: string | null }) => n.subject_id).filter((id: string | null) => id !== null)
  },

  'POST /v1/users': {
    roles: ['admin'], ok: 201, kind: 'none',
    make: async () => ({ url: '/v1/users', payload: { email: `staff-${letters(8).toLowerCase()}@council.example`, name: 'Matrix Staff', roles: ['coordinator'] } })
  },
  'GET /v1/users': {
    roles: ['admin', 'coordinator'], ok: 200, kind: 'list',
    make: async () => ({ url: '/v1/users?limit=200' }),
    ids: (body) => body.data.map((u: { id: string }) => u.id)
  },
  'PATCH /v1/users/{id}': {
    roles: ['admin'], ok: 200, kind: 'record',
    make: async (ctx, s) => ({ url: `/v1/users/${userOf(ctx, s)}`, payload: { name: `Renamed ${letters(4)}` } })
  }
}

function expected (entry: Entry, caller: Caller, scope: Scope | null): number {
  if (caller === 'none') return 401
  if (!entry.roles.includes(caller)) return 403
  if (entry.kind !== 'record' || scope === null) return entry.ok
  if (scope === 'foreign') return 404
  if (scope === 'other' && entry.ownOnly?.includes(caller) === true) return 404
  return entry.ok
}

async function createUser (app: FastifyInstance, tenant: Tenant): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/v1/users', headers: auth(tenant.token('admin')), payload: { email: `fixture-${letters(8).toLowerCase()}@council.example`, name: 'Fixture Staff', roles: ['coordinator'] } })
  if (res.statusCode !== 201) throw new Error(`user: ${res.statusCode} ${res.body}`)
  return res.json().id
}

t.test('access matrix', async (t) => {
  const { app } = await build(t)
  const a = await createTenant(app)
  const b = await createTenant(app)
  const programmeA = await a.programme()
  const programmeB = await b.programme()

  const makeReferral = async (tenant: Tenant, programme: string, sub: string): Promise<string> => {
    const res = await app.inject({ method: 'POST', url: '/v1/referrals', headers: auth(tenant.token('referrer', { sub })), payload: referralBody(programme) })
    if (res.statusCode !== 201) throw new Error(`referral: ${res.statusCode} ${res.body}`)
    return res.json().id
  }
  const referral = async (scope: Scope): Promise<string> =>
    scope === 'own'
      ? await makeReferral(a, programmeA, OWN_REFERRER)
      : scope === 'other' ? await makeReferral(a, programmeA, 'referrer-colleague') : await makeReferral(b, programmeB, 'referrer-elsewhere')

  const ctx: Context = {
    app, a, b, programmeA, programmeB,
    userA: await createUser(app, a),
    userB: await createUser(app, b),
    referral,
    fixed: { own: await referral('own'), other: await referral('other'), foreign: await referral('foreign') },
    token: (caller) => {
      if (caller === 'none') return undefined
      if (caller === 'platform_admin') return tokenFor('platform_admin', { org: null })
      if (caller === 'referrer') return a.token('referrer', { sub: OWN_REFERRER })
      if (caller === 'mentor') return a.token('mentor', { sub: 'mentor-own', mentorId: MENTOR_ID })
      return a.token(caller, { sub: `${caller}-own` })
    }
  }

  t.test('every /v1 operation has an entry', async (t) => {
    const doc = app.swagger() as { paths: Record<string, Record<string, unknown>> }
    const operations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, item]) => ['get', 'post', 'put', 'patch', 'delete'].filter((m) => item[m] !== undefined).map((m) => `${m.toUpperCase()} ${path}`))
    const missing = operations.filter((op) => MATRIX[op] === undefined)
    t.same(missing, [], `No access-matrix entry for: ${missing.join(', ')}. Add each to MATRIX in test/security/access-matrix.test.ts (roles allowed per api.md, success status, kind, ownOnly roles, and how to make own / same-org / other-org records).`)
    const stale = Object.keys(MATRIX).filter((op) => !operations.includes(op))
    t.same(stale, [], `MATRIX entries for operations that no longer exist: ${stale.join(', ')}`)
  })

  for (const [operation, entry] of Object.entries(MATRIX)) {
    t.test(operation, async (t) => {
      const [method, path] = operation.split(' ')
      const scopes: Array<Scope | null> = entry.kind === 'none' ? [null] : SCOPES
      for (const caller of CALLERS) {
        for (const scope of scopes) {
          if (entry.kind === 'list') {
            if (scope !== 'own') continue
            // Fresh records of every scope, newest first, so they fall on the first page.
            const mine = await ctx.referral('own')
            const colleague = await ctx.referral('other')
            const elsewhere = await ctx.referral('foreign')
            const req = await entry.make(ctx, 'own')
            const token = ctx.token(caller)
            const res = await app.inject({ method: method as 'GET', url: req.url, headers: token === undefined ? {} : auth(token) })
            const want = expected(entry, caller, null)
            t.equal(res.statusCode, want, `${caller}: ${res.body.slice(0, 300)}`)
            if (want !== 200 || res.statusCode !== 200) continue
            const ids = new Set(entry.ids?.(res.json()) ?? [])
            const foreignIds = path === '/v1/programmes' ? [programmeB] : path === '/v1/users' ? [ctx.userB] : [elsewhere]
            for (const id of foreignIds) t.notOk(ids.has(id), `${caller} sees no record of another organisation`)
            if (path === '/v1/referrals' || path === '/v1/notifications') {
              t.ok(ids.has(mine), `${caller} sees its own`)
              t.equal(ids.has(colleague), entry.ownOnly?.includes(caller as Role) !== true, `${caller} ${entry.ownOnly?.includes(caller as Role) === true ? 'does not see' : 'sees'} a colleague's`)
            }
            if (path === '/v1/programmes') t.ok(ids.has(programmeA), `${caller} sees its organisation's programme`)
            if (path === '/v1/users') t.ok(ids.has(ctx.userA), `${caller} sees its organisation's staff`)
            continue
          }
          const want = expected(entry, caller, scope)
          const req = await entry.make(ctx, scope ?? 'own')
          const token = ctx.token(caller)
          const res = await app.inject({
            method: method as 'GET',
            url: req.url,
            headers: token === undefined ? {} : auth(token),
            ...(req.payload !== undefined ? { payload: req.payload } : {})
          })
          const label = `${caller} on ${scope ?? 'it'}`
          t.equal(res.statusCode, want, `${label}: ${res.body.slice(0, 300)}`)
          if (res.statusCode >= 400) {
            t.match(res.headers['content-type'], /^application\/problem\+json/, `${label}: problem+json`)
            // A record another tenant or owner holds reads exactly like one that does not exist.
            if (res.statusCode === 404) t.notMatch(res.body, /forbidden|another|owner/i, `${label}: 404 reveals nothing`)
          }
          if (operation === 'GET /v1/organisation' && res.statusCode === 200) t.equal(res.json().id, a.orgId, `${label}: the caller's own organisation`)
        }
      }
    })
  }

  t.test('an unknown id is the same 404 as another organisation\'s record', async (t) => {
    const coordinator = ctx.token('coordinator') as string
    const unknown = await app.inject({ method: 'GET', url: `/v1/referrals/${randomUUID()}`, headers: auth(coordinator) })
    const foreign = await app.inject({ method: 'GET', url: `/v1/referrals/${ctx.fixed.foreign}`, headers: auth(coordinator) })
    t.equal(unknown.statusCode, 404)
    t.equal(foreign.statusCode, 404)
    const strip = (b: Record<string, unknown>): Record<string, unknown> => { const { instance: _i, request_id: _r, ...rest } = b; return rest }
    t.same(strip(foreign.json()), strip(unknown.json()))
  })
})
