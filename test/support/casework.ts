import type { FastifyInstance } from 'fastify'
import { addDays } from '../../src/lib/dates.js'
import { referralBody } from './bodies.js'
import { vettedMentor } from './mentors.js'
import { send } from './requests.js'
import type { Tenant } from './tenants.js'
import { todayLocal } from './time.js'

/**
 * The casework the access matrix reads and writes, built through the API: in each organisation
 * cleared mentors, accepted referrals, active matches with a session, a goal and evaluations,
 * concerns, a matching plan and a job run. "Own" records belong to the calling referrer
 * (`OWN_REFERRER`) and the calling mentor at once, so one record is own to both; "other" records
 * belong to a colleague referrer and another mentor of the same organisation; "foreign" ones to
 * the second organisation.
 */

export type Scope = 'own' | 'other' | 'foreign'
export const OWN_REFERRER = 'referrer-own'
export const COLLEAGUE_REFERRER = 'referrer-colleague'
export const FOREIGN_REFERRER = 'referrer-elsewhere'
export const OWN_MENTOR_SUB = 'mentor-own'
export const OTHER_MENTOR_SUB = 'mentor-colleague'

export interface Casework {
  mentor: Record<Scope, string>
  /** A mentor of the scope taken through vetting: approved, or not yet, or suspended. Made afresh. */
  freshMentor: (scope: Scope, state: 'vetted' | 'approved' | 'suspended') => Promise<string>
  /** An accepted referral waiting for a match (own: the calling referrer's). */
  accepted: Record<Scope, string>
  freshAccepted: (scope: Scope) => Promise<string>
  /** Active matches: own = the calling mentor's, of the calling referrer's referral. */
  match: Record<Scope, string>
  /** The referral of each fixed match. */
  matchReferral: Record<Scope, string>
  freshMatch: (scope: Scope, state: 'proposed' | 'active' | 'paused') => Promise<string>
  goal: Record<Scope, string>
  session: Record<Scope, string>
  dbs: Record<Scope, string>
  evaluation: Record<Scope, string>
  /** Concerns raised by the calling mentor / referrer (own), by their colleagues (other), and in the other organisation. */
  concern: {
    mentorOwn: string
    referrerOwn: string
    mentorOther: string
    referrerOther: string
    coordinatorOwn: string
    foreign: string
  }
  plan: Record<'own' | 'foreign', string>
  jobRun: Record<Scope, string>
  tokens: { mentor: string; otherMentor: string }
}

export async function buildCasework(
  app: FastifyInstance,
  a: Tenant,
  b: Tenant,
  programmeA: string,
  programmeB: string
): Promise<Casework> {
  const today = todayLocal()
  const since = addDays(today, -30)
  const coordinator = {
    a: a.token('coordinator', { sub: 'coordinator-fixtures' }),
    b: b.token('coordinator', { sub: 'coordinator-fixtures-b' })
  }
  const tenantOf = (scope: Scope): { tenant: Tenant; coord: string; programme: string } =>
    scope === 'foreign'
      ? { tenant: b, coord: coordinator.b, programme: programmeB }
      : { tenant: a, coord: coordinator.a, programme: programmeA }
  const referrerToken = (scope: Scope): string =>
    scope === 'own'
      ? a.token('referrer', { sub: OWN_REFERRER })
      : scope === 'other'
        ? a.token('referrer', { sub: COLLEAGUE_REFERRER })
        : b.token('referrer', { sub: FOREIGN_REFERRER })

  const makeMentor = async (scope: Scope, o: { approve?: boolean } = {}): Promise<string> => {
    const { coord, programme } = tenantOf(scope)
    return await vettedMentor(app, coord, [programme], { since, approve: o.approve, profile: { capacity: 20 } })
  }
  const mentor: Record<Scope, string> = {
    own: await makeMentor('own'),
    other: await makeMentor('other'),
    foreign: await makeMentor('foreign')
  }
  const tokens = {
    mentor: a.token('mentor', { sub: OWN_MENTOR_SUB, mentorId: mentor.own }),
    otherMentor: a.token('mentor', { sub: OTHER_MENTOR_SUB, mentorId: mentor.other })
  }

  const freshMentor = async (scope: Scope, state: 'vetted' | 'approved' | 'suspended'): Promise<string> => {
    const id = await makeMentor(scope, { approve: state !== 'vetted' })
    if (state === 'suspended')
      await send(app, tenantOf(scope).coord, 'POST', `/v1/mentors/${id}/suspend`, { reason: 'Pending a review' }, 200)
    return id
  }

  const freshAccepted = async (scope: Scope): Promise<string> => {
    const { coord, programme } = tenantOf(scope)
    const r = await send(app, referrerToken(scope), 'POST', '/v1/referrals', referralBody(programme), 201)
    await send(app, coord, 'POST', `/v1/referrals/${r.id as string}/accept`, {}, 200)
    return r.id
  }
  const accepted: Record<Scope, string> = {
    own: await freshAccepted('own'),
    other: await freshAccepted('other'),
    foreign: await freshAccepted('foreign')
  }

  const agreed = { agreed: true, recorded_on: today }
  const freshMatchWith = async (
    scope: Scope,
    state: 'proposed' | 'active' | 'paused'
  ): Promise<{ id: string; referral: string }> => {
    const { coord } = tenantOf(scope)
    const referral = await freshAccepted(scope)
    const m = await send(
      app,
      coord,
      'POST',
      '/v1/matches',
      {
        referral_id: referral,
        mentor_id: mentor[scope],
        introduction: { scheduled_at: new Date().toISOString(), location: 'School library' }
      },
      201
    )
    if (state !== 'proposed') {
      await send(
        app,
        coord,
        'POST',
        `/v1/matches/${m.id as string}/activate`,
        {
          introduction: { held_on: today, attendees: ['young_person', 'mentor', 'coordinator', 'referrer'] },
          agreements: {
            young_person: agreed,
            mentor: agreed,
            parent_carer: { ...agreed, name: 'Ngozi Okonkwo', relationship: 'mother' }
          }
        },
        200
      )
    }
    if (state === 'paused')
      await send(app, coord, 'POST', `/v1/matches/${m.id as string}/pause`, { reason: 'Exams' }, 200)
    return { id: m.id, referral }
  }
  const freshMatch = async (scope: Scope, state: 'proposed' | 'active' | 'paused'): Promise<string> =>
    (await freshMatchWith(scope, state)).id

  const fixedMatches = {
    own: await freshMatchWith('own', 'active'),
    other: await freshMatchWith('other', 'active'),
    foreign: await freshMatchWith('foreign', 'active')
  }
  const match: Record<Scope, string> = {
    own: fixedMatches.own.id,
    other: fixedMatches.other.id,
    foreign: fixedMatches.foreign.id
  }
  const matchReferral: Record<Scope, string> = {
    own: fixedMatches.own.referral,
    other: fixedMatches.other.referral,
    foreign: fixedMatches.foreign.referral
  }

  const perScope = async (fn: (scope: Scope) => Promise<string>): Promise<Record<Scope, string>> => ({
    own: await fn('own'),
    other: await fn('other'),
    foreign: await fn('foreign')
  })

  const session = await perScope(
    async (s) =>
      (
        await send(
          app,
          tenantOf(s).coord,
          'POST',
          `/v1/matches/${match[s]}/sessions`,
          { held_on: today, duration_minutes: 60, location_type: 'school', attended: true },
          201
        )
      ).id
  )
  const goal = await perScope(
    async (s) =>
      (
        await send(
          app,
          tenantOf(s).coord,
          'POST',
          `/v1/matches/${match[s]}/goals`,
          { title: 'Join an after-school club' },
          201
        )
      ).id
  )
  const dbs = await perScope(async (s) => {
    const res = await send(
      app,
      tenantOf(s).coord,
      'POST',
      `/v1/mentors/${mentor[s]}/dbs-checks`,
      {
        level: 'enhanced_with_barred_list_children',
        workforce: 'child',
        certificate_number: '001234567891',
        issued_on: since,
        outcome: 'clear',
        update_service_subscribed: true,
        update_service_subscription_id: 'C0123456'
      },
      201
    )
    return res.id
  })
  const evaluation = await perScope(async (s) => {
    const recorded = await send(
      app,
      tenantOf(s).coord,
      'POST',
      `/v1/matches/${match[s]}/evaluations`,
      { held_on: today, responses: [{ respondent: 'young_person', measures: { confidence: 4 } }] },
      201
    )
    return recorded.id
  })

  const raise = async (token: string, body: Record<string, unknown>): Promise<string> =>
    (
      await send(
        app,
        token,
        'POST',
        '/v1/safeguarding-concerns',
        { category: 'disclosure', description: 'Said something worrying after school.', ...body },
        201
      )
    ).id
  const concern = {
    mentorOwn: await raise(tokens.mentor, { match_id: match.own }),
    referrerOwn: await raise(referrerToken('own'), { referral_id: matchReferral.own }),
    coordinatorOwn: await raise(coordinator.a, { match_id: match.own }),
    mentorOther: await raise(tokens.otherMentor, { match_id: match.other }),
    referrerOther: await raise(referrerToken('other'), { referral_id: matchReferral.other }),
    foreign: await raise(coordinator.b, { match_id: match.foreign })
  }

  const plan = {
    own: (await send(app, coordinator.a, 'POST', '/v1/matching/plans', { programme_id: programmeA }, 201)).id,
    foreign: (await send(app, coordinator.b, 'POST', '/v1/matching/plans', { programme_id: programmeB }, 201)).id
  }
  const run = async (tenant: Tenant, sub: string): Promise<string> =>
    (await send(app, tenant.token('admin', { sub }), 'POST', '/v1/jobs/training-expiry-alerts/runs', {}, 202)).id
  const jobRun = {
    own: await run(a, 'admin-own'),
    other: await run(a, 'admin-colleague'),
    foreign: await run(b, 'admin-elsewhere')
  }

  return {
    mentor,
    freshMentor,
    accepted,
    freshAccepted,
    match,
    matchReferral,
    freshMatch,
    goal,
    session,
    dbs,
    evaluation,
    concern,
    plan,
    jobRun,
    tokens
  }
}
