import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Role } from '../../src/auth/roles.js'
import { mentorBody, referralBody } from '../support/bodies.js'
import {
  buildCasework,
  COLLEAGUE_REFERRER,
  FOREIGN_REFERRER,
  OWN_REFERRER,
  type Casework,
  type Scope
} from '../support/casework.js'
import { setUp } from '../support/set-up.js'
import type { Tenant } from '../support/tenants.js'
import { todayLocal } from '../support/time.js'
import { auth, tokenFor } from '../support/tokens.js'
import type { Database } from '../../src/db/database.js'

/**
 * Every /v1 route x every role x (own record, another owner's in the same organisation, another
 * organisation's), with the status api.md promises. Forbidden roles are refused before any record is
 * looked at (403); a record the caller may not see is a 404, never a 403, so its existence leaks nothing.
 */

type Caller = Role | 'none'
const CALLERS: Caller[] = ['platform_admin', 'admin', 'coordinator', 'referrer', 'mentor', 'integration', 'none']
const SCOPES: Scope[] = ['own', 'other', 'foreign']

interface Request {
  url: string
  payload?: Record<string, unknown>
}

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
  /**
   * The status when the record is not the caller's to see (default 404). A create that names a
   * record in its body (a match's referral, a concern's match) refuses it as a reference to nothing: 422 `unknown_reference`.
   */
  hidden?: number
  /**
   * Builds the request against a record of the given scope, freshly made when the call changes it.
   * `fresh` is true when the call is expected to succeed: a call that changes its record needs one of its own.
   */
  make: (ctx: Context, scope: Scope, call: { caller: Caller; fresh: boolean }) => Promise<Request>
  /** For lists: the ids of the page. */
  ids?: (body: any) => string[]
  /** For lists: an own, another owner's and another organisation's record, as the caller reckons them. */
  records?: (ctx: Context, caller: Caller) => Record<Scope, string>
  /** Checks of the body of a successful call (the view the caller is entitled to). */
  view?: (t: Test, caller: Caller, body: any) => void
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
  cw: Casework
  db: Database
  /** Job runs: two of the organisation's (one requested by another admin) and another organisation's. */
  runs: Record<Scope, string>
}

const letters = (n: number): string =>
  Array.from({ length: n }, () => String.fromCharCode(65 + Math.floor(Math.random() * 26))).join('')

const programmeOf = (ctx: Context, scope: Scope): string => (scope === 'foreign' ? ctx.programmeB : ctx.programmeA)
const userOf = (ctx: Context, scope: Scope): string => (scope === 'foreign' ? ctx.userB : ctx.userA)

const READERS: Role[] = ['coordinator', 'admin', 'integration', 'referrer']
const ORG_ROLES: Role[] = ['admin', 'coordinator', 'referrer', 'mentor', 'integration']

/** A fresh referral of the scope, moved into `information_requested` by a coordinator of its org. */
async function referralAwaitingInformation(ctx: Context, scope: Scope): Promise<string> {
  const id = await ctx.referral(scope)
  const tenant = scope === 'foreign' ? ctx.b : ctx.a
  const res = await ctx.app.inject({
    method: 'POST',
    url: `/v1/referrals/${id}/request-information`,
    headers: auth(tenant.token('coordinator')),
    payload: { questions: 'Which school does the young person attend now?' }
  })
  if (res.statusCode !== 200) throw new Error(`request-information: ${res.statusCode} ${res.body}`)
  return id
}

const action =
  (
    path: string,
    payload: Record<string, unknown>,
    prepare: (ctx: Context, scope: Scope) => Promise<string> = async (ctx, scope) => await ctx.referral(scope)
  ) =>
  async (ctx: Context, scope: Scope): Promise<Request> => ({
    url: `/v1/referrals/${await prepare(ctx, scope)}/${path}`,
    payload
  })

const today = todayLocal()
const MENTOR_READERS: Role[] = ['coordinator', 'admin', 'mentor']
const CASE: Role[] = ['coordinator', 'mentor']
const MATCH_READERS: Role[] = ['coordinator', 'integration', 'mentor', 'referrer']
const CONCERN_ROLES: Role[] = ['coordinator', 'admin', 'mentor', 'referrer']
const idsOf = (body: any): string[] => body.data.map((r: { id: string }) => r.id)

/** A mentor lifecycle action on a mentor freshly taken to the state the action starts from. */
const mentorAction =
  (path: string, state: 'vetted' | 'approved' | 'suspended') =>
  async (ctx: Context, s: Scope, c: { fresh: boolean }): Promise<Request> => ({
    url: `/v1/mentors/${c.fresh ? await ctx.cw.freshMentor(s, state) : ctx.cw.mentor[s]}/${path}`,
    payload: { reason: 'Reviewed by the programme lead' }
  })

/** A match action on a match freshly taken to the state the action starts from. */
const matchAction =
  (path: string, state: 'proposed' | 'active' | 'paused', payload: Record<string, unknown>) =>
  async (ctx: Context, s: Scope, c: { fresh: boolean }): Promise<Request> => ({
    url: `/v1/matches/${c.fresh ? await ctx.cw.freshMatch(s, state) : ctx.cw.match[s]}/${path}`,
    payload
  })

const vetting = (path: string, payload: () => Record<string, unknown>): Record<string, Entry> => ({
  [`GET /v1/mentors/{id}/${path}`]: {
    roles: CASE,
    ok: 200,
    kind: 'record',
    ownOnly: ['mentor'],
    make: async (ctx, s) => ({ url: `/v1/mentors/${ctx.cw.mentor[s]}/${path}` })
  },
  [`POST /v1/mentors/{id}/${path}`]: {
    roles: ['coordinator'],
    ok: 201,
    kind: 'record',
    make: async (ctx, s) => ({ url: `/v1/mentors/${ctx.cw.mentor[s]}/${path}`, payload: payload() })
  }
})

/** A concern raised just now by a coordinator of the scope's organisation, acknowledged when asked. */
async function freshConcern(
  ctx: Context,
  s: Scope,
  extra: Record<string, unknown> = {},
  acknowledged = false
): Promise<string> {
  const coordinator = (s === 'foreign' ? ctx.b : ctx.a).token('coordinator')
  const raised = await ctx.app.inject({
    method: 'POST',
    url: '/v1/safeguarding-concerns',
    headers: auth(coordinator),
    payload: { match_id: ctx.cw.match[s], category: 'other', description: 'Seemed withdrawn today.', ...extra }
  })
  if (raised.statusCode !== 201) throw new Error(`concern: ${raised.statusCode} ${raised.body}`)
  const id = raised.json().id as string
  if (acknowledged) {
    const ack = await ctx.app.inject({
      method: 'POST',
      url: `/v1/safeguarding-concerns/${id}/acknowledge`,
      headers: auth(coordinator),
      payload: {}
    })
    if (ack.statusCode !== 200) throw new Error(`acknowledge: ${ack.statusCode} ${ack.body}`)
  }
  return id
}

/** The concern of the scope as the caller reckons it: its own is one it raised. */
const concernOf = (ctx: Context, s: Scope, caller: Caller): string => {
  const c = ctx.cw.concern
  if (s === 'foreign') return c.foreign
  if (caller === 'referrer') return s === 'own' ? c.referrerOwn : c.referrerOther
  return s === 'own' ? c.mentorOwn : c.mentorOther
}

/** A mentor sees a minimal view of the young person and no referral; a referrer the mentor's first name only. */
function matchView(t: Test, caller: Caller, match: Record<string, any>): void {
  if (caller === 'referrer') {
    t.ok(match.mentor_first_name, "referrer: the mentor's first name")
    for (const key of ['mentor_id', 'young_person', 'introduction', 'agreements', 'close_note'])
      t.notOk(key in match, `referrer: no ${key}`)
  } else if (caller === 'mentor') {
    for (const key of ['referral_id', 'reference', 'agreements', 'close_note'])
      t.notOk(key in match, `mentor: no ${key}`)
    t.same(
      Object.keys(match.young_person ?? {}).sort(),
      ['age', 'first_name', 'interests', 'needs_summary', 'school'],
      'mentor: the minimal view of the young person'
    )
  } else {
    t.ok(match.mentor_id, `${caller}: the full view`)
  }
}

/**
 * The matrix. A route without an entry here fails the test: add one, keyed `METHOD /path` exactly as
 * the OpenAPI document spells it, stating the roles api.md allows, the success status, and how to make
 * an own / same-organisation / other-organisation record for it.
 */

const tenantOf = (ctx: Context, s: Scope): Tenant => (s === 'foreign' ? ctx.b : ctx.a)

/** Creates a data-protection record in the scope's organisation as an admin of it (not the calling one). */
async function adminCreates(ctx: Context, s: Scope, url: string, payload: Record<string, unknown>): Promise<string> {
  const res = await ctx.app.inject({
    method: 'POST',
    url,
    headers: auth(tenantOf(ctx, s).token('admin', { sub: 'admin-requester' })),
    payload
  })
  if (res.statusCode !== 201) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
  return res.json().id as string
}
const sarFor = async (ctx: Context, s: Scope): Promise<string> =>
  await adminCreates(ctx, s, '/v1/subject-access-requests', {
    subject: { type: 'young_person', referral_id: ctx.fixed[s] },
    received_on: today,
    requester: { name: 'A Parent', relationship: 'mother' },
    identity_verified: true
  })
const erasureFor = async (ctx: Context, s: Scope): Promise<string> =>
  await adminCreates(ctx, s, '/v1/erasure-requests', {
    subject: { type: 'young_person', referral_id: ctx.fixed[s] },
    reason: 'Asked by the young person'
  })
const heldReferral = async (ctx: Context, s: Scope): Promise<string> => {
  const id = await ctx.referral(s)
  await adminCreates(ctx, s, `/v1/referrals/${id}/legal-hold`, { reason: 'Inquiry' })
  return id
}
const heldMentor = async (ctx: Context, s: Scope): Promise<string> => {
  const id = await ctx.cw.freshMentor(s, 'vetted')
  await adminCreates(ctx, s, `/v1/mentors/${id}/legal-hold`, { reason: 'Inquiry' })
  return id
}

/** A webhook endpoint of the scope's organisation, made by its admin (a local URL: the matrix allows private destinations). */
async function webhookFor(ctx: Context, s: Scope): Promise<string> {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: auth(tenantOf(ctx, s).token('admin')),
    payload: { url: 'http://127.0.0.1:9/matrix', events: ['referral.created'] }
  })
  if (res.statusCode !== 201) throw new Error(`webhook: ${res.statusCode} ${res.body}`)
  return res.json().id
}

/** A delivery of a ping to a fresh endpoint of the scope's organisation, given up on: [endpoint, delivery]. */
async function deliveryFor(ctx: Context, s: Scope): Promise<[string, string]> {
  const id = await webhookFor(ctx, s)
  const res = await ctx.app.inject({
    method: 'POST',
    url: `/v1/webhooks/${id}/ping`,
    headers: auth(tenantOf(ctx, s).token('admin')),
    payload: {}
  })
  if (res.statusCode !== 202) throw new Error(`ping: ${res.statusCode} ${res.body}`)
  // As if its one attempt had failed, with no retry left: what an operator redelivers.
  await ctx.db
    .updateTable('webhook_deliveries')
    .set({ status: 'exhausted', attempt: 1, next_attempt_at: null })
    .where('id', '=', res.json().id)
    .execute()
  return [id, res.json().id]
}

const MATRIX: Record<string, Entry> = {
  'POST /v1/organisations': {
    roles: ['platform_admin'],
    ok: 201,
    kind: 'none',
    make: async () => ({ url: '/v1/organisations', payload: { name: 'Matrix Org', code: letters(6) } })
  },
  'GET /v1/organisation': { roles: ORG_ROLES, ok: 200, kind: 'none', make: async () => ({ url: '/v1/organisation' }) },

  'POST /v1/programmes': {
    roles: ['admin'],
    ok: 201,
    kind: 'none',
    make: async () => ({
      url: '/v1/programmes',
      payload: { name: `Matrix ${letters(4)}`, kind: 'mentoring', rules: {} }
    })
  },
  'GET /v1/programmes': {
    roles: ORG_ROLES,
    ok: 200,
    kind: 'list',
    make: async () => ({ url: '/v1/programmes?limit=200' }),
    ids: (body) => body.data.map((p: { id: string }) => p.id)
  },
  'GET /v1/programmes/{id}': {
    roles: ORG_ROLES,
    ok: 200,
    kind: 'record',
    make: async (ctx, s) => ({ url: `/v1/programmes/${programmeOf(ctx, s)}` })
  },
  'PATCH /v1/programmes/{id}': {
    roles: ['admin'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s) => ({
      url: `/v1/programmes/${programmeOf(ctx, s)}`,
      payload: { description: `Changed ${letters(4)}` }
    })
  },

  'POST /v1/referrals': {
    roles: ['referrer', 'coordinator', 'integration'],
    ok: 201,
    kind: 'none',
    make: async (ctx) => ({ url: '/v1/referrals', payload: referralBody(ctx.programmeA) })
  },
  'GET /v1/referrals': {
    roles: READERS,
    ok: 200,
    kind: 'list',
    ownOnly: ['referrer'],
    make: async () => ({ url: '/v1/referrals?limit=200' }),
    ids: (body) => body.data.map((r: { id: string }) => r.id)
  },
  'GET /v1/referrals/{id}': {
    roles: READERS,
    ok: 200,
    kind: 'record',
    ownOnly: ['referrer'],
    make: async (ctx, s) => ({ url: `/v1/referrals/${ctx.fixed[s]}` })
  },
  'GET /v1/referrals/{id}/history': {
    roles: READERS,
    ok: 200,
    kind: 'record',
    ownOnly: ['referrer'],
    make: async (ctx, s) => ({ url: `/v1/referrals/${ctx.fixed[s]}/history` })
  },
  'PATCH /v1/referrals/{id}': {
    roles: ['referrer', 'coordinator'],
    ok: 200,
    kind: 'record',
    ownOnly: ['referrer'],
    make: async (ctx, s) => ({
      url: `/v1/referrals/${await ctx.referral(s)}`,
      payload: { other_services: ['School counsellor'] }
    })
  },
  'POST /v1/referrals/{id}/start-review': {
    roles: ['coordinator'],
    ok: 200,
    kind: 'record',
    make: action('start-review', {})
  },
  'POST /v1/referrals/{id}/request-information': {
    roles: ['coordinator'],
    ok: 200,
    kind: 'record',
    make: action('request-information', { questions: 'Is there a social worker?' })
  },
  'POST /v1/referrals/{id}/provide-information': {
    roles: ['referrer', 'coordinator'],
    ok: 200,
    kind: 'record',
    ownOnly: ['referrer'],
    make: action('provide-information', { answers: 'Yes, since September.' }, referralAwaitingInformation)
  },
  'POST /v1/referrals/{id}/accept': { roles: ['coordinator'], ok: 200, kind: 'record', make: action('accept', {}) },
  'POST /v1/referrals/{id}/decline': {
    roles: ['coordinator'],
    ok: 200,
    kind: 'record',
    make: action('decline', { reason_code: 'better_served_elsewhere' })
  },
  'POST /v1/referrals/{id}/link': {
    roles: ['coordinator', 'admin'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s) => ({
      url: `/v1/referrals/${await ctx.referral(s)}/link`,
      payload: { referral_id: await ctx.referral(s) }
    })
  },
  'POST /v1/referrals/{id}/withdraw': {
    roles: ['referrer', 'coordinator'],
    ok: 200,
    kind: 'record',
    ownOnly: ['referrer'],
    make: action('withdraw', { reason: 'The family moved out of the area.' })
  },

  'GET /v1/notifications': {
    roles: ['coordinator', 'admin'],
    ok: 200,
    kind: 'list',
    make: async () => ({ url: '/v1/notifications?limit=200' }),
    ids: (body) =>
      body.data.map((n: { subject_id: string | null }) => n.subject_id).filter((id: string | null) => id !== null)
  },

  'POST /v1/notifications/{id}/retry': {
    roles: ['admin'],
    ok: 202,
    kind: 'record',
    make: async (ctx, s) => {
      const row = await ctx.db
        .insertInto('notifications')
        .values({
          organisation_id: s === 'foreign' ? ctx.b.orgId : ctx.a.orgId,
          dedupe_key: `matrix-${randomUUID()}`,
          kind: 'test',
          recipient: 'matrix@council.example',
          subject: 'Matrix',
          body: 'Matrix',
          status: 'failed'
        })
        .returning('id')
        .executeTakeFirstOrThrow()
      return { url: `/v1/notifications/${row.id}/retry` }
    }
  },
  'GET /v1/jobs/runs': {
    roles: ['admin'],
    ok: 200,
    kind: 'list',
    make: async () => ({ url: '/v1/jobs/runs?limit=200' }),
    ids: idsOf,
    records: (ctx) => ctx.runs
  },
  'GET /v1/audit-events': {
    roles: ['admin'],
    ok: 200,
    kind: 'list',
    make: async () => ({ url: '/v1/audit-events?limit=200' }),
    ids: (body) => body.data.map((e: { resource_id: string }) => e.resource_id)
  },
  'GET /v1/referrals/{id}/access-log': {
    roles: ['coordinator', 'admin'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s) => ({ url: `/v1/referrals/${ctx.fixed[s]}/access-log` })
  },
  'GET /v1/mentors/{id}/access-log': {
    roles: ['coordinator', 'admin'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s) => ({ url: `/v1/mentors/${ctx.cw.mentor[s]}/access-log` })
  },

  'POST /v1/users': {
    roles: ['admin'],
    ok: 201,
    kind: 'none',
    make: async () => ({
      url: '/v1/users',
      payload: {
        email: `staff-${letters(8).toLowerCase()}@council.example`,
        name: 'Matrix Staff',
        roles: ['coordinator']
      }
    })
  },
  'GET /v1/users': {
    roles: ['admin', 'coordinator'],
    ok: 200,
    kind: 'list',
    make: async () => ({ url: '/v1/users?limit=200' }),
    ids: (body) => body.data.map((u: { id: string }) => u.id)
  },
  'PATCH /v1/users/{id}': {
    roles: ['admin'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s) => ({ url: `/v1/users/${userOf(ctx, s)}`, payload: { name: `Renamed ${letters(4)}` } })
  },

  'POST /v1/mentors': {
    roles: ['coordinator'],
    ok: 201,
    kind: 'none',
    make: async (ctx) => ({ url: '/v1/mentors', payload: mentorBody([ctx.programmeA]) })
  },
  'GET /v1/mentors': {
    roles: MENTOR_READERS,
    ok: 200,
    kind: 'list',
    ownOnly: ['mentor'],
    make: async () => ({ url: '/v1/mentors?limit=200' }),
    ids: idsOf,
    records: (ctx) => ctx.cw.mentor
  },
  'GET /v1/mentors/{id}': {
    roles: MENTOR_READERS,
    ok: 200,
    kind: 'record',
    ownOnly: ['mentor'],
    make: async (ctx, s) => ({ url: `/v1/mentors/${ctx.cw.mentor[s]}` })
  },
  'PATCH /v1/mentors/{id}': {
    roles: CASE,
    ok: 200,
    kind: 'record',
    ownOnly: ['mentor'],
    make: async (ctx, s) => ({
      url: `/v1/mentors/${ctx.cw.mentor[s]}`,
      payload: { interests: ['football', letters(5).toLowerCase()] }
    })
  },
  'GET /v1/mentors/{id}/history': {
    roles: MENTOR_READERS,
    ok: 200,
    kind: 'record',
    ownOnly: ['mentor'],
    make: async (ctx, s) => ({ url: `/v1/mentors/${ctx.cw.mentor[s]}/history` })
  },
  'GET /v1/mentors/{id}/compliance': {
    roles: MENTOR_READERS,
    ok: 200,
    kind: 'record',
    ownOnly: ['mentor'],
    make: async (ctx, s) => ({ url: `/v1/mentors/${ctx.cw.mentor[s]}/compliance` })
  },
  'POST /v1/mentors/{id}/approve': {
    roles: ['coordinator'],
    ok: 200,
    kind: 'record',
    make: mentorAction('approve', 'vetted')
  },
  'POST /v1/mentors/{id}/suspend': {
    roles: ['coordinator'],
    ok: 200,
    kind: 'record',
    make: mentorAction('suspend', 'approved')
  },
  'POST /v1/mentors/{id}/reinstate': {
    roles: ['coordinator', 'admin'],
    ok: 200,
    kind: 'record',
    make: mentorAction('reinstate', 'suspended')
  },
  'POST /v1/mentors/{id}/withdraw': {
    roles: ['coordinator'],
    ok: 200,
    kind: 'record',
    make: mentorAction('withdraw', 'approved')
  },
  ...vetting('interviews', () => ({ held_on: today, interviewer: 'Pat Lead', outcome: 'passed' })),
  ...vetting('references', () => ({ referee_name: 'Alex Referee', relationship: 'employer', requested_on: today })),
  ...vetting('trainings', () => ({ kind: 'safeguarding', completed_on: today, hours: 3, provider: 'NSPCC' })),
  ...vetting('dbs-checks', () => ({
    level: 'enhanced_with_barred_list_children',
    workforce: 'child',
    certificate_number: '001234567892',
    issued_on: today,
    outcome: 'clear'
  })),
  'POST /v1/mentors/{id}/dbs-checks/{dbs_id}/status-checks': {
    roles: ['coordinator'],
    ok: 201,
    kind: 'record',
    make: async (ctx, s) => ({
      url: `/v1/mentors/${ctx.cw.mentor[s]}/dbs-checks/${ctx.cw.dbs[s]}/status-checks`,
      payload: { checked_on: today, result: 'no_change' }
    })
  },

  'POST /v1/jobs/{name}/runs': {
    roles: ['admin'],
    ok: 202,
    kind: 'none',
    make: async () => ({ url: '/v1/jobs/training-expiry-alerts/runs', payload: {} })
  },
  'GET /v1/jobs/runs/{run_id}': {
    roles: ['admin'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s) => ({ url: `/v1/jobs/runs/${ctx.cw.jobRun[s]}` })
  },

  'GET /v1/reports/programme-summary': {
    roles: ['coordinator', 'admin'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s) => ({ url: `/v1/reports/programme-summary?programme_id=${programmeOf(ctx, s)}` })
  },

  'GET /v1/referrals/{id}/mentor-suggestions': {
    roles: ['coordinator'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s) => ({ url: `/v1/referrals/${ctx.cw.accepted[s]}/mentor-suggestions` })
  },
  'POST /v1/matching/plans': {
    roles: ['coordinator'],
    ok: 201,
    kind: 'record',
    hidden: 422,
    make: async (ctx, s) => ({ url: '/v1/matching/plans', payload: { programme_id: programmeOf(ctx, s) } })
  },
  'GET /v1/matching/plans/{id}': {
    roles: ['coordinator'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s) => ({ url: `/v1/matching/plans/${s === 'foreign' ? ctx.cw.plan.foreign : ctx.cw.plan.own}` })
  },

  'GET /v1/matches': {
    roles: MATCH_READERS,
    ok: 200,
    kind: 'list',
    ownOnly: ['mentor', 'referrer'],
    make: async () => ({ url: '/v1/matches?limit=200' }),
    ids: idsOf,
    records: (ctx) => ctx.cw.match,
    view: (t, caller, body) => {
      for (const m of body.data) matchView(t, caller, m)
    }
  },
  'POST /v1/matches': {
    roles: ['coordinator'],
    ok: 201,
    kind: 'record',
    hidden: 422,
    make: async (ctx, s, c) => ({
      url: '/v1/matches',
      payload: {
        referral_id: c.fresh ? await ctx.cw.freshAccepted(s) : ctx.cw.accepted[s],
        mentor_id: ctx.cw.mentor[s],
        introduction: { scheduled_at: new Date().toISOString(), location: 'School library' }
      }
    })
  },
  'GET /v1/matches/{id}': {
    roles: MATCH_READERS,
    ok: 200,
    kind: 'record',
    ownOnly: ['mentor', 'referrer'],
    make: async (ctx, s) => ({ url: `/v1/matches/${ctx.cw.match[s]}` }),
    view: matchView
  },
  'GET /v1/matches/{id}/history': {
    roles: ['coordinator', 'integration'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s) => ({ url: `/v1/matches/${ctx.cw.match[s]}/history` })
  },
  'POST /v1/matches/{id}/activate': {
    roles: ['coordinator'],
    ok: 200,
    kind: 'record',
    make: matchAction('activate', 'proposed', {
      introduction: { held_on: today, attendees: ['young_person', 'mentor', 'coordinator', 'referrer'] },
      agreements: {
        young_person: { agreed: true, recorded_on: today },
        mentor: { agreed: true, recorded_on: today },
        parent_carer: { agreed: true, recorded_on: today, name: 'Ngozi Okonkwo', relationship: 'mother' }
      }
    })
  },
  'POST /v1/matches/{id}/pause': {
    roles: ['coordinator'],
    ok: 200,
    kind: 'record',
    make: matchAction('pause', 'active', { reason: 'Exam season' })
  },
  'POST /v1/matches/{id}/resume': {
    roles: ['coordinator'],
    ok: 200,
    kind: 'record',
    make: matchAction('resume', 'paused', {})
  },
  'POST /v1/matches/{id}/close': {
    roles: ['coordinator'],
    ok: 200,
    kind: 'record',
    make: matchAction('close', 'active', { reason_code: 'planned_end' })
  },
  'GET /v1/matches/{id}/sessions': {
    roles: CASE,
    ok: 200,
    kind: 'record',
    ownOnly: ['mentor'],
    make: async (ctx, s) => ({ url: `/v1/matches/${ctx.cw.match[s]}/sessions` })
  },
  'POST /v1/matches/{id}/sessions': {
    roles: CASE,
    ok: 201,
    kind: 'record',
    ownOnly: ['mentor'],
    make: async (ctx, s) => ({
      url: `/v1/matches/${ctx.cw.match[s]}/sessions`,
      payload: { held_on: today, duration_minutes: 45, location_type: 'library', attended: true }
    })
  },
  'GET /v1/matches/{id}/goals': {
    roles: CASE,
    ok: 200,
    kind: 'record',
    ownOnly: ['mentor'],
    make: async (ctx, s) => ({ url: `/v1/matches/${ctx.cw.match[s]}/goals` })
  },
  'POST /v1/matches/{id}/goals': {
    roles: CASE,
    ok: 201,
    kind: 'record',
    ownOnly: ['mentor'],
    make: async (ctx, s) => ({
      url: `/v1/matches/${ctx.cw.match[s]}/goals`,
      payload: { title: `Try ${letters(5).toLowerCase()} club` }
    })
  },
  'PATCH /v1/matches/{id}/goals/{goal_id}': {
    roles: CASE,
    ok: 200,
    kind: 'record',
    ownOnly: ['mentor'],
    make: async (ctx, s) => ({
      url: `/v1/matches/${ctx.cw.match[s]}/goals/${ctx.cw.goal[s]}`,
      payload: { progress: 40, note: 'Went to the first meeting.' }
    })
  },

  'GET /v1/evaluations': {
    roles: MENTOR_READERS,
    ok: 200,
    kind: 'list',
    ownOnly: ['mentor'],
    make: async () => ({ url: '/v1/evaluations?limit=200&status=completed' }),
    ids: idsOf,
    records: (ctx) => ctx.cw.evaluation
  },
  'GET /v1/evaluations/{id}': {
    roles: MENTOR_READERS,
    ok: 200,
    kind: 'record',
    ownOnly: ['mentor'],
    make: async (ctx, s) => ({ url: `/v1/evaluations/${ctx.cw.evaluation[s]}` })
  },
  'POST /v1/matches/{id}/evaluations': {
    roles: CASE,
    ok: 201,
    kind: 'record',
    ownOnly: ['mentor'],
    make: async (ctx, s, c) => ({
      url: `/v1/matches/${c.fresh ? await ctx.cw.freshMatch(s, 'active') : ctx.cw.match[s]}/evaluations`,
      payload: { held_on: today, responses: [{ respondent: 'mentor', measures: { confidence: 3 } }] }
    })
  },

  'GET /v1/safeguarding-concerns': {
    roles: CONCERN_ROLES,
    ok: 200,
    kind: 'list',
    ownOnly: ['mentor', 'referrer'],
    make: async () => ({ url: '/v1/safeguarding-concerns?limit=200' }),
    ids: idsOf,
    records: (ctx, caller) => ({
      own: concernOf(ctx, 'own', caller),
      other: concernOf(ctx, 'other', caller),
      foreign: concernOf(ctx, 'foreign', caller)
    })
  },
  'GET /v1/safeguarding-concerns/{id}': {
    roles: CONCERN_ROLES,
    ok: 200,
    kind: 'record',
    ownOnly: ['mentor', 'referrer'],
    make: async (ctx, s, c) => ({ url: `/v1/safeguarding-concerns/${concernOf(ctx, s, c.caller)}` })
  },
  'POST /v1/safeguarding-concerns': {
    roles: CONCERN_ROLES,
    ok: 201,
    kind: 'record',
    hidden: 422,
    ownOnly: ['mentor', 'referrer'],
    make: async (ctx, s, c) => ({
      url: '/v1/safeguarding-concerns',
      payload: {
        category: 'online_safety',
        description: 'Mentioned messages from an adult they met online.',
        ...(c.caller === 'referrer' ? { referral_id: ctx.cw.matchReferral[s] } : { match_id: ctx.cw.match[s] })
      }
    })
  },
  'POST /v1/safeguarding-concerns/{id}/acknowledge': {
    roles: ['coordinator', 'admin'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s, c) => ({
      url: `/v1/safeguarding-concerns/${c.fresh ? await freshConcern(ctx, s) : concernOf(ctx, s, 'coordinator')}/acknowledge`,
      payload: {}
    })
  },
  'POST /v1/safeguarding-concerns/{id}/lado-referral': {
    roles: ['coordinator', 'admin'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s, c) => ({
      url: `/v1/safeguarding-concerns/${c.fresh ? await freshConcern(ctx, s, { kind: 'allegation_about_staff' }) : concernOf(ctx, s, 'coordinator')}/lado-referral`,
      payload: { referred_on: today, lado_reference: 'LADO-2026-0001' }
    })
  },
  'POST /v1/safeguarding-concerns/{id}/outcome': {
    roles: ['admin'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s, c) => ({
      url: `/v1/safeguarding-concerns/${c.fresh ? await freshConcern(ctx, s, {}, true) : concernOf(ctx, s, 'coordinator')}/outcome`,
      payload: { outcome: 'unfounded', note: 'Looked into with the school; no further action.' }
    })
  },
  'GET /v1/organisation/retention': {
    roles: ORG_ROLES,
    ok: 200,
    kind: 'none',
    make: async () => ({ url: '/v1/organisation/retention' })
  },
  'PATCH /v1/organisation/retention': {
    roles: ['admin'],
    ok: 200,
    kind: 'none',
    make: async () => ({ url: '/v1/organisation/retention', payload: { classes: { notification: 24 } } })
  },
  'POST /v1/referrals/{id}/legal-hold': {
    roles: ['admin'],
    ok: 201,
    kind: 'record',
    make: async (ctx, s, c) => ({
      url: `/v1/referrals/${c.fresh ? await ctx.referral(s) : ctx.fixed[s]}/legal-hold`,
      payload: { reason: 'Inquiry moratorium' }
    })
  },
  'DELETE /v1/referrals/{id}/legal-hold': {
    roles: ['admin'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s, c) => ({
      url: `/v1/referrals/${c.fresh ? await heldReferral(ctx, s) : ctx.fixed[s]}/legal-hold`,
      payload: { reason: 'Inquiry closed' }
    })
  },
  'POST /v1/mentors/{id}/legal-hold': {
    roles: ['admin'],
    ok: 201,
    kind: 'record',
    make: async (ctx, s, c) => ({
      url: `/v1/mentors/${c.fresh ? await ctx.cw.freshMentor(s, 'vetted') : ctx.cw.mentor[s]}/legal-hold`,
      payload: { reason: 'Allegation under review' }
    })
  },
  'DELETE /v1/mentors/{id}/legal-hold': {
    roles: ['admin'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s, c) => ({
      url: `/v1/mentors/${c.fresh ? await heldMentor(ctx, s) : ctx.cw.mentor[s]}/legal-hold`,
      payload: {}
    })
  },
  'POST /v1/subject-access-requests': {
    roles: ['admin'],
    ok: 201,
    kind: 'none',
    make: async (ctx) => ({
      url: '/v1/subject-access-requests',
      payload: {
        subject: { type: 'young_person', referral_id: ctx.fixed.own },
        received_on: today,
        requester: { name: 'A Parent', relationship: 'mother' },
        identity_verified: true
      }
    })
  },
  'GET /v1/subject-access-requests': {
    roles: ['admin'],
    ok: 200,
    kind: 'none',
    make: async () => ({ url: '/v1/subject-access-requests?status=open' })
  },
  'GET /v1/subject-access-requests/{id}': {
    roles: ['admin'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s) => ({ url: `/v1/subject-access-requests/${await sarFor(ctx, s)}` })
  },
  'POST /v1/subject-access-requests/{id}/extend': {
    roles: ['admin'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s) => ({
      url: `/v1/subject-access-requests/${await sarFor(ctx, s)}/extend`,
      payload: { months: 2, reason: 'Complex' }
    })
  },
  'POST /v1/subject-access-requests/{id}/complete': {
    roles: ['admin'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s) => ({
      url: `/v1/subject-access-requests/${await sarFor(ctx, s)}/complete`,
      payload: { sent_on: today }
    })
  },
  'GET /v1/subject-access-requests/{id}/export': {
    roles: ['admin'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s) => ({ url: `/v1/subject-access-requests/${await sarFor(ctx, s)}/export` })
  },
  'POST /v1/erasure-requests': {
    roles: ['admin'],
    ok: 201,
    kind: 'none',
    make: async (ctx) => ({
      url: '/v1/erasure-requests',
      payload: { subject: { type: 'young_person', referral_id: ctx.fixed.own }, reason: 'Asked by the young person' }
    })
  },
  'GET /v1/erasure-requests/{id}': {
    roles: ['admin'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s) => ({ url: `/v1/erasure-requests/${await erasureFor(ctx, s)}` })
  },
  'POST /v1/erasure-requests/{id}/approve': {
    roles: ['admin'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s) => ({ url: `/v1/erasure-requests/${await erasureFor(ctx, s)}/approve` })
  },
  'POST /v1/webhooks': {
    roles: ['admin', 'integration'],
    ok: 201,
    kind: 'none',
    make: async () => ({
      url: '/v1/webhooks',
      payload: { url: 'http://127.0.0.1:9/matrix', events: ['referral.created'] }
    })
  },
  'GET /v1/webhooks': {
    roles: ['admin', 'integration'],
    ok: 200,
    kind: 'none',
    make: async () => ({ url: '/v1/webhooks' })
  },
  'GET /v1/webhooks/{id}': {
    roles: ['admin', 'integration'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s) => ({ url: `/v1/webhooks/${await webhookFor(ctx, s)}` })
  },
  'PATCH /v1/webhooks/{id}': {
    roles: ['admin', 'integration'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s) => ({
      url: `/v1/webhooks/${await webhookFor(ctx, s)}`,
      payload: { description: 'Case system' }
    })
  },
  'DELETE /v1/webhooks/{id}': {
    roles: ['admin', 'integration'],
    ok: 204,
    kind: 'record',
    make: async (ctx, s) => ({ url: `/v1/webhooks/${await webhookFor(ctx, s)}` })
  },
  'POST /v1/webhooks/{id}/rotate-secret': {
    roles: ['admin', 'integration'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s) => ({ url: `/v1/webhooks/${await webhookFor(ctx, s)}/rotate-secret`, payload: {} })
  },
  'POST /v1/webhooks/{id}/ping': {
    roles: ['admin', 'integration'],
    ok: 202,
    kind: 'record',
    make: async (ctx, s) => ({ url: `/v1/webhooks/${await webhookFor(ctx, s)}/ping`, payload: {} })
  },
  'GET /v1/webhooks/{id}/deliveries': {
    roles: ['admin', 'integration'],
    ok: 200,
    kind: 'record',
    make: async (ctx, s) => ({ url: `/v1/webhooks/${await webhookFor(ctx, s)}/deliveries` })
  },
  'POST /v1/webhooks/{id}/deliveries/{delivery_id}/retry': {
    roles: ['admin', 'integration'],
    ok: 202,
    kind: 'record',
    make: async (ctx, s) => {
      const [id, delivery] = await deliveryFor(ctx, s)
      return { url: `/v1/webhooks/${id}/deliveries/${delivery}/retry`, payload: {} }
    }
  },
  'POST /v1/safeguarding-concerns/{id}/actions': {
    roles: ['coordinator'],
    ok: 201,
    kind: 'record',
    make: async (ctx, s) => ({
      url: `/v1/safeguarding-concerns/${s === 'own' ? ctx.cw.concern.coordinatorOwn : concernOf(ctx, s, 'coordinator')}/actions`,
      payload: { action: 'Spoke to the designated safeguarding lead.' }
    })
  }
}

function expected(entry: Entry, caller: Caller, scope: Scope | null): number {
  if (caller === 'none') return 401
  if (!entry.roles.includes(caller)) return 403
  if (entry.kind !== 'record' || scope === null) return entry.ok
  if (scope === 'foreign') return entry.hidden ?? 404
  if (scope === 'other' && entry.ownOnly?.includes(caller) === true) return entry.hidden ?? 404
  return entry.ok
}

async function createUser(app: FastifyInstance, tenant: Tenant): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/users',
    headers: auth(tenant.token('admin')),
    payload: {
      email: `fixture-${letters(8).toLowerCase()}@council.example`,
      name: 'Fixture Staff',
      roles: ['coordinator']
    }
  })
  if (res.statusCode !== 201) throw new Error(`user: ${res.statusCode} ${res.body}`)
  return res.json().id
}

t.test('access matrix', async (t) => {
  const { app, db, tenant: a, other: b } = await setUp(t, { other: true, env: { WEBHOOK_ALLOW_PRIVATE: 'true' } })
  const programmeA = await a.programme()
  const programmeB = await b.programme()

  const makeReferral = async (tenant: Tenant, programme: string, sub: string): Promise<string> => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(tenant.token('referrer', { sub })),
      payload: referralBody(programme)
    })
    if (res.statusCode !== 201) throw new Error(`referral: ${res.statusCode} ${res.body}`)
    return res.json().id
  }
  const referral = async (scope: Scope): Promise<string> =>
    scope === 'own'
      ? await makeReferral(a, programmeA, OWN_REFERRER)
      : scope === 'other'
        ? await makeReferral(a, programmeA, COLLEAGUE_REFERRER)
        : await makeReferral(b, programmeB, FOREIGN_REFERRER)

  const cw = await buildCasework(app, a, b, programmeA, programmeB)
  const run = async (tenant: Tenant, sub: string): Promise<string> => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/jobs/dbs-renewal-alerts/runs',
      headers: auth(tenant.token('admin', { sub })),
      payload: {}
    })
    if (res.statusCode !== 202) throw new Error(`job run: ${res.statusCode} ${res.body}`)
    return res.json().id
  }
  const ctx: Context = {
    app,
    a,
    b,
    programmeA,
    programmeB,
    cw,
    db,
    runs: {
      own: await run(a, 'admin-own'),
      other: await run(a, 'admin-colleague'),
      foreign: await run(b, 'admin-elsewhere')
    },
    userA: await createUser(app, a),
    userB: await createUser(app, b),
    referral,
    fixed: { own: await referral('own'), other: await referral('other'), foreign: await referral('foreign') },
    token: (caller) => {
      if (caller === 'none') return undefined
      if (caller === 'platform_admin') return tokenFor('platform_admin', { org: null })
      if (caller === 'referrer') return a.token('referrer', { sub: OWN_REFERRER })
      if (caller === 'mentor') return cw.tokens.mentor
      return a.token(caller, { sub: `${caller}-own` })
    }
  }

  t.test('every /v1 operation has an entry', async (t) => {
    const doc = app.swagger() as { paths: Record<string, Record<string, unknown>> }
    const operations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, item]) =>
        ['get', 'post', 'put', 'patch', 'delete']
          .filter((m) => item[m] !== undefined)
          .map((m) => `${m.toUpperCase()} ${path}`)
      )
    const missing = operations.filter((op) => MATRIX[op] === undefined)
    t.same(
      missing,
      [],
      `No access-matrix entry for: ${missing.join(', ')}. Add each to MATRIX in test/security/access-matrix.test.ts (roles allowed per api.md, success status, kind, ownOnly roles, and how to make own / same-org / other-org records).`
    )
    const stale = Object.keys(MATRIX).filter((op) => !operations.includes(op))
    t.same(stale, [], `MATRIX entries for operations that no longer exist: ${stale.join(', ')}`)
  })

  for (const [operation, entry] of Object.entries(MATRIX)) {
    t.test(operation, async (t) => {
      const [method, path] = operation.split(' ')
      const scopes: Array<Scope | null> = entry.kind === 'none' ? [null] : SCOPES
      for (const caller of CALLERS) {
        for (const scope of scopes) {
          if (entry.kind === 'list' && entry.records !== undefined) {
            if (scope !== 'own') continue
            const req = await entry.make(ctx, 'own', { caller, fresh: false })
            const token = ctx.token(caller)
            const res = await app.inject({
              method: method as 'GET',
              url: req.url,
              headers: token === undefined ? {} : auth(token)
            })
            const want = expected(entry, caller, null)
            t.equal(res.statusCode, want, `${caller}: ${res.body.slice(0, 300)}`)
            if (want !== 200 || res.statusCode !== 200) continue
            const ids = new Set(entry.ids?.(res.json()) ?? [])
            const records = entry.records(ctx, caller)
            t.ok(ids.has(records.own), `${caller} sees its own`)
            const ownOnly = entry.ownOnly?.includes(caller as Role) === true
            t.equal(ids.has(records.other), !ownOnly, `${caller} ${ownOnly ? 'does not see' : 'sees'} another owner's`)
            t.notOk(ids.has(records.foreign), `${caller} sees no record of another organisation`)
            entry.view?.(t, caller, res.json())
            continue
          }
          if (entry.kind === 'list') {
            if (scope !== 'own') continue
            // Fresh records of every scope, newest first, so they fall on the first page.
            const mine = await ctx.referral('own')
            const colleague = await ctx.referral('other')
            const elsewhere = await ctx.referral('foreign')
            const req = await entry.make(ctx, 'own', { caller, fresh: false })
            const token = ctx.token(caller)
            const res = await app.inject({
              method: method as 'GET',
              url: req.url,
              headers: token === undefined ? {} : auth(token)
            })
            const want = expected(entry, caller, null)
            t.equal(res.statusCode, want, `${caller}: ${res.body.slice(0, 300)}`)
            if (want !== 200 || res.statusCode !== 200) continue
            const ids = new Set(entry.ids?.(res.json()) ?? [])
            const foreignIds =
              path === '/v1/programmes' ? [programmeB] : path === '/v1/users' ? [ctx.userB] : [elsewhere]
            for (const id of foreignIds) t.notOk(ids.has(id), `${caller} sees no record of another organisation`)
            if (path === '/v1/referrals' || path === '/v1/notifications') {
              t.ok(ids.has(mine), `${caller} sees its own`)
              t.equal(
                ids.has(colleague),
                entry.ownOnly?.includes(caller as Role) !== true,
                `${caller} ${entry.ownOnly?.includes(caller as Role) === true ? 'does not see' : 'sees'} a colleague's`
              )
            }
            if (path === '/v1/programmes') t.ok(ids.has(programmeA), `${caller} sees its organisation's programme`)
            if (path === '/v1/users') t.ok(ids.has(ctx.userA), `${caller} sees its organisation's staff`)
            continue
          }
          const want = expected(entry, caller, scope)
          const req = await entry.make(ctx, scope ?? 'own', { caller, fresh: want === entry.ok })
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
            if (res.statusCode === 404)
              t.notMatch(res.body, /forbidden|another|owner/i, `${label}: 404 reveals nothing`)
          }
          if (operation === 'GET /v1/organisation' && res.statusCode === 200)
            t.equal(res.json().id, a.orgId, `${label}: the caller's own organisation`)
          if (res.statusCode < 300 && entry.view !== undefined) entry.view(t, caller, res.json())
        }
      }
    })
  }

  t.test("an unknown id is the same 404 as another organisation's record", async (t) => {
    const coordinator = ctx.token('coordinator') as string
    const unknown = await app.inject({
      method: 'GET',
      url: `/v1/referrals/${randomUUID()}`,
      headers: auth(coordinator)
    })
    const foreign = await app.inject({
      method: 'GET',
      url: `/v1/referrals/${ctx.fixed.foreign}`,
      headers: auth(coordinator)
    })
    t.equal(unknown.statusCode, 404)
    t.equal(foreign.statusCode, 404)
    const strip = (b: Record<string, unknown>): Record<string, unknown> => {
      const { instance: _i, request_id: _r, ...rest } = b
      return rest
    }
    t.same(strip(foreign.json()), strip(unknown.json()))
  })

  const bare = (body: Record<string, unknown>): Record<string, unknown> => {
    const { instance: _i, request_id: _r, ...rest } = body
    return rest
  }

  t.test('a create naming a record the caller may not see reads the same as one naming no record', async (t) => {
    const coordinator = ctx.token('coordinator') as string
    const intro = { scheduled_at: new Date().toISOString(), location: 'School library' }
    const post = async (
      token: string,
      url: string,
      payload: Record<string, unknown>
    ): Promise<Record<string, unknown>> => {
      const res = await app.inject({ method: 'POST', url, headers: auth(token), payload })
      t.equal(res.statusCode, 422, res.body)
      t.equal(res.json().code, 'unknown_reference')
      return bare(res.json())
    }
    t.same(
      await post(coordinator, '/v1/matches', {
        referral_id: cw.accepted.foreign,
        mentor_id: cw.mentor.own,
        introduction: intro
      }),
      await post(coordinator, '/v1/matches', {
        referral_id: randomUUID(),
        mentor_id: cw.mentor.own,
        introduction: intro
      }),
      "another organisation's referral"
    )
    const concern = { category: 'other', description: 'Seemed withdrawn today.' }
    const mentor = ctx.token('mentor') as string
    const referrer = ctx.token('referrer') as string
    const theirMatch = await post(mentor, '/v1/safeguarding-concerns', { ...concern, match_id: cw.match.other })
    t.same(
      theirMatch,
      await post(mentor, '/v1/safeguarding-concerns', { ...concern, match_id: randomUUID() }),
      "another mentor's match"
    )
    t.match(theirMatch, { errors: [{ path: 'body/match_id' }] })
    const theirReferral = await post(referrer, '/v1/safeguarding-concerns', {
      ...concern,
      referral_id: cw.matchReferral.other
    })
    t.same(
      theirReferral,
      await post(referrer, '/v1/safeguarding-concerns', { ...concern, referral_id: randomUUID() }),
      "a colleague's referral"
    )
    t.match(theirReferral, { errors: [{ path: 'body/referral_id' }] })
  })

  t.test("a referrer sees its matched referral's match status and the mentor's first name, nothing more", async (t) => {
    const res = await app.inject({
      method: 'GET',
      url: `/v1/referrals/${cw.matchReferral.own}`,
      headers: auth(ctx.token('referrer') as string)
    })
    t.equal(res.statusCode, 200, res.body)
    t.same(Object.keys(res.json().match ?? {}).sort(), ['mentor_first_name', 'status'])
    t.notOk(res.body.includes('Mentor-Test'), 'no mentor family name')
    t.notOk(res.body.includes(cw.mentor.own), 'no mentor id')
  })

  t.test("a mentor token of another organisation naming this organisation's mentor sees nothing of it", async (t) => {
    const stray = b.token('mentor', { sub: 'mentor-stray', mentorId: cw.mentor.own })
    for (const url of [
      `/v1/mentors/${cw.mentor.own}`,
      `/v1/mentors/${cw.mentor.own}/compliance`,
      `/v1/mentors/${cw.mentor.own}/interviews`,
      `/v1/matches/${cw.match.own}`,
      `/v1/matches/${cw.match.own}/sessions`,
      `/v1/evaluations/${cw.evaluation.own}`
    ]) {
      t.equal((await app.inject({ method: 'GET', url, headers: auth(stray) })).statusCode, 404, url)
    }
    for (const url of ['/v1/mentors', '/v1/matches', '/v1/evaluations', '/v1/safeguarding-concerns']) {
      const res = await app.inject({ method: 'GET', url, headers: auth(stray) })
      t.equal(res.statusCode, 200, url)
      t.same(res.json().data, [], `${url}: empty`)
    }
  })
})
