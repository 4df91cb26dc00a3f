import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { auth } from '../support/tokens.js'
import { build } from '../support/set-up.js'
import { createTenant } from '../support/tenants.js'
import { referralBody } from '../support/bodies.js'
import { todayLocal } from '../support/time.js'
import { vettedMentor } from '../support/mentors.js'
import { addDays } from '../../src/lib/dates.js'

async function post(
  app: FastifyInstance,
  token: string,
  url: string,
  payload: unknown,
  expected: number,
  headers: Record<string, string> = {}
): Promise<any> {
  const res = await app.inject({
    method: 'POST',
    url,
    headers: { ...auth(token), ...headers },
    payload: payload as any
  })
  if (res.statusCode !== expected) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
  return res.json()
}

interface Probe {
  method: 'GET' | 'POST' | 'PATCH'
  url: string
  payload?: Record<string, unknown>
  headers?: Record<string, string>
}

t.test('a suspended or withdrawn mentor reads nothing from the moment of the change', async (t) => {
  const { app } = await build(t)
  const tenant = await createTenant(app)
  const programmeId = await tenant.programme()
  const coordinator = tenant.token('coordinator')
  const today = todayLocal()
  const mentorId = await vettedMentor(app, coordinator, [programmeId], {
    since: addDays(today, -30),
    profile: { capacity: 2 }
  })
  const mentor = tenant.token('mentor', { mentorId })
  const stranger = tenant.token('mentor', { mentorId: randomUUID() })
  const agreed = { agreed: true, recorded_on: today }

  const referrals: any[] = []
  for (let i = 0; i < 2; i++) {
    const r = await post(
      app,
      coordinator,
      '/v1/referrals',
      referralBody(programmeId, { referrer: { email: `r${i}@school.example` } }),
      201
    )
    await post(app, coordinator, `/v1/referrals/${r.id as string}/accept`, {}, 200)
    referrals.push(r)
  }
  const intro = { scheduled_at: '2026-12-01T16:00:00Z', location: 'School library' }
  const active = await post(
    app,
    coordinator,
    '/v1/matches',
    { referral_id: referrals[0].id, mentor_id: mentorId, introduction: intro },
    201
  )
  const proposed = await post(
    app,
    coordinator,
    '/v1/matches',
    { referral_id: referrals[1].id, mentor_id: mentorId, introduction: intro },
    201
  )
  await post(
    app,
    coordinator,
    `/v1/matches/${active.id as string}/activate`,
    {
      introduction: { held_on: today, attendees: ['young_person', 'mentor'] },
      agreements: {
        young_person: agreed,
        mentor: agreed,
        parent_carer: { ...agreed, name: 'A Parent', relationship: 'mother' }
      }
    },
    200
  )
  const m = `/v1/matches/${active.id as string}`
  const session = { held_on: today, duration_minutes: 60, location_type: 'library', attended: true }
  await post(app, mentor, `${m}/sessions`, session, 201)
  const goal = await post(app, mentor, `${m}/goals`, { title: 'Join a club' }, 201)
  const concernBody = { match_id: active.id, category: 'other', description: 'Amara seemed withdrawn.' }
  const concern = await post(app, mentor, '/v1/safeguarding-concerns', concernBody, 201, {
    'idempotency-key': 'concern-1'
  })
  const evaluations = (await app.inject({ method: 'GET', url: '/v1/evaluations', headers: auth(coordinator) })).json()
    .data
  t.ok(evaluations.length > 0, 'the active match has evaluations scheduled')
  const evaluationId = evaluations[0].id as string

  const probes: Probe[] = [
    { method: 'GET', url: m },
    { method: 'GET', url: `/v1/matches/${proposed.id as string}` },
    { method: 'GET', url: '/v1/matches' },
    { method: 'GET', url: `${m}/sessions` },
    { method: 'POST', url: `${m}/sessions`, payload: session },
    { method: 'GET', url: `${m}/goals` },
    { method: 'POST', url: `${m}/goals`, payload: { title: 'Another' } },
    { method: 'PATCH', url: `${m}/goals/${goal.id as string}`, payload: { progress: 50 } },
    { method: 'GET', url: `/v1/mentors/${mentorId}` },
    { method: 'GET', url: '/v1/mentors' },
    { method: 'PATCH', url: `/v1/mentors/${mentorId}`, payload: { phone: '07700 900000' } },
    { method: 'GET', url: `/v1/mentors/${mentorId}/history` },
    { method: 'GET', url: `/v1/mentors/${mentorId}/compliance` },
    { method: 'GET', url: `/v1/mentors/${mentorId}/trainings` },
    { method: 'GET', url: `/v1/mentors/${mentorId}/dbs-checks` },
    { method: 'GET', url: '/v1/evaluations' },
    { method: 'GET', url: `/v1/evaluations/${evaluationId}` },
    { method: 'GET', url: '/v1/safeguarding-concerns' },
    { method: 'GET', url: `/v1/safeguarding-concerns/${concern.id as string}` },
    { method: 'POST', url: '/v1/safeguarding-concerns', payload: { ...concernBody, description: 'Another' } },
    // A replay of a stored reply is a read too.
    {
      method: 'POST',
      url: '/v1/safeguarding-concerns',
      payload: concernBody,
      headers: { 'idempotency-key': 'concern-1' }
    }
  ]
  const ask = async (token: string, p: Probe): Promise<{ status: number; body: string }> => {
    const res = await app.inject({
      method: p.method,
      url: p.url,
      headers: { ...auth(token), ...p.headers },
      ...(p.payload !== undefined ? { payload: p.payload } : {})
    })
    return { status: res.statusCode, body: res.body }
  }

  t.test('before: the mentor reads its matches, profile and records', async (t) => {
    t.equal((await ask(mentor, probes[0])).status, 200)
    t.equal(JSON.parse((await ask(mentor, probes[2])).body).data.length, 2)
    t.equal((await ask(mentor, probes[8])).status, 200)
  })

  t.test('suspended: answered exactly as a stranger is, its active match paused with a history entry', async (t) => {
    await post(app, coordinator, `/v1/mentors/${mentorId}/suspend`, { reason: 'Allegation received' }, 200)
    for (const p of probes) {
      const [mine, theirs] = [await ask(mentor, p), await ask(stranger, p)]
      t.equal(mine.status, theirs.status, `${p.method} ${p.url}: ${mine.body}`)
      if (mine.status === 200) t.same(JSON.parse(mine.body).data, [], `${p.method} ${p.url} lists nothing`)
      t.notOk(mine.body.includes('Amara'), `${p.method} ${p.url} names no young person`)
      t.notOk(mine.body.includes('Jordan'), `${p.method} ${p.url} shows no profile`)
    }
    for (const p of probes.filter((p) => p.method === 'GET' && !p.url.endsWith('s') && p.url !== m)) {
      t.equal((await ask(mentor, p)).status, 404, `${p.url} is a 404`)
    }
    t.equal((await ask(mentor, probes[0])).status, 404)

    const seen = (await app.inject({ method: 'GET', url: m, headers: auth(coordinator) })).json()
    t.equal(seen.status, 'paused')
    t.equal(seen.paused_at, today)
    const history = (await app.inject({ method: 'GET', url: `${m}/history`, headers: auth(coordinator) })).json().data
    t.match(history.at(-1), { from_status: 'active', to_status: 'paused', reason: 'mentor suspended' })
    t.notOk(JSON.stringify(history).includes('Allegation'), 'the suspension reason stays on the mentor')
    const still = (
      await app.inject({ method: 'GET', url: `/v1/matches/${proposed.id as string}`, headers: auth(coordinator) })
    ).json()
    t.equal(still.status, 'proposed', 'a proposed match has nothing to pause')
    const referral = (
      await app.inject({ method: 'GET', url: `/v1/referrals/${referrals[0].id as string}`, headers: auth(coordinator) })
    ).json()
    t.equal(referral.match.status, 'paused', 'the referral shows the match paused')

    const resume = await app.inject({ method: 'POST', url: `${m}/resume`, headers: auth(coordinator), payload: {} })
    t.equal(resume.statusCode, 409, 'a match cannot go on while its mentor is suspended')
    t.equal(resume.json().reasons[0].code, 'mentor_suspended')
  })

  t.test('reinstated: access is back, and the coordinator resumes the match', async (t) => {
    await post(app, coordinator, `/v1/mentors/${mentorId}/reinstate`, {}, 200)
    const res = await app.inject({ method: 'GET', url: m, headers: auth(mentor) })
    t.equal(res.statusCode, 200)
    t.equal(res.json().young_person.first_name, 'Amara')
    t.equal((await ask(mentor, probes[8])).status, 200)
    t.equal(JSON.parse((await ask(mentor, probes[17])).body).data.length, 1, 'its concern is listed again')
    await post(app, coordinator, `${m}/resume`, {}, 200)
  })

  t.test('withdrawn: the same', async (t) => {
    await post(app, coordinator, `/v1/mentors/${mentorId}/withdraw`, { reason: 'Moved away' }, 200)
    for (const p of probes) {
      const [mine, theirs] = [await ask(mentor, p), await ask(stranger, p)]
      t.equal(mine.status, theirs.status, `${p.method} ${p.url}: ${mine.body}`)
      t.notOk(mine.body.includes('Amara'), `${p.method} ${p.url} names no young person`)
    }
    const seen = (await app.inject({ method: 'GET', url: m, headers: auth(coordinator) })).json()
    t.equal(seen.status, 'paused')
    const history = (await app.inject({ method: 'GET', url: `${m}/history`, headers: auth(coordinator) })).json().data
    t.match(history.at(-1), { from_status: 'active', to_status: 'paused', reason: 'mentor withdrawn' })
    const activate = await app.inject({
      method: 'POST',
      url: `/v1/matches/${proposed.id as string}/activate`,
      headers: auth(coordinator),
      payload: {
        introduction: { held_on: today, attendees: ['young_person', 'mentor'] },
        agreements: {
          young_person: agreed,
          mentor: agreed,
          parent_carer: { ...agreed, name: 'A Parent', relationship: 'mother' }
        }
      }
    })
    t.equal(activate.statusCode, 409, 'nor can a proposed match start')
  })

  t.test('a token with another role keeps that role', async (t) => {
    const both = tenant.token(['coordinator', 'mentor'], { mentorId })
    t.equal((await app.inject({ method: 'GET', url: m, headers: auth(both) })).statusCode, 200)
  })
})
