import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { referralBody } from '../support/bodies.js'
import { recentlyVettedMentor } from '../support/mentors.js'
import { post } from '../support/requests.js'
import { setUp } from '../support/set-up.js'
import { createTenant } from '../support/tenants.js'
import { auth } from '../support/tokens.js'

let n = 0
async function waiting(
  app: FastifyInstance,
  coordinator: string,
  programmeId: string,
  overrides: Record<string, any> = {}
): Promise<any> {
  n += 1
  const r = await post(
    app,
    coordinator,
    '/v1/referrals',
    referralBody(programmeId, { referrer: { email: `ref${n}@school.example` }, ...overrides }),
    201
  )
  await post(app, coordinator, `/v1/referrals/${r.id as string}/accept`, {}, 200)
  return r
}

t.test('matching plans', async (t) => {
  const {
    app,
    db,
    tenant,
    tokens: { coordinator }
  } = await setUp(t)
  const programmeId = await tenant.programme()
  const footballer = await recentlyVettedMentor(app, coordinator, [programmeId], {
    profile: { given_name: 'Ada', interests: ['football'], experience_areas: ['confidence'] }
  })
  const chess = await recentlyVettedMentor(app, coordinator, [programmeId], {
    profile: { given_name: 'Bea', interests: ['chess'], experience_areas: ['friendships'] }
  })
  const r1 = await waiting(app, coordinator, programmeId, {
    young_person: { interests: ['football'] },
    needs: { areas: ['confidence'] }
  })
  const r2 = await waiting(app, coordinator, programmeId, {
    young_person: { interests: ['chess'] },
    needs: { areas: ['friendships'] }
  })
  const r3 = await waiting(app, coordinator, programmeId, { preferences: { mentor_gender: 'male' } })

  const plan = await post(app, coordinator, '/v1/matching/plans', { programme_id: programmeId }, 201)

  t.test('pairs every referral it can, best overall, and explains the rest', async (t) => {
    t.equal(plan.summary.optimal, true)
    t.equal(plan.summary.objective, plan.summary.bound)
    const pairs = Object.fromEntries(plan.pairs.map((p: any) => [p.referral_id, p.mentor_id]))
    t.same(pairs, { [r1.id]: footballer, [r2.id]: chess })
    t.same(
      plan.unmatched.map((u: any) => u.referral_id),
      [r3.id]
    )
    t.match(plan.unmatched[0].reason, /No cleared mentor/)
    t.ok(plan.pairs.every((p: any) => p.state === 'proposed' && p.match_id === null && p.reasons.length > 0))
  })

  t.test('a plan creates no match', async (t) => {
    const matches = await app.inject({ method: 'GET', url: '/v1/matches', headers: auth(coordinator) })
    t.same(matches.json().data, [])
    const r = await app.inject({ method: 'GET', url: `/v1/referrals/${r1.id as string}`, headers: auth(coordinator) })
    t.equal(r.json().status, 'accepted')
  })

  t.test('pairs are accepted one by one as matches', async (t) => {
    for (const p of plan.pairs) {
      await post(
        app,
        coordinator,
        '/v1/matches',
        {
          referral_id: p.referral_id,
          mentor_id: p.mentor_id,
          introduction: { scheduled_at: '2026-12-01T16:00:00Z', location: 'School' }
        },
        201
      )
    }
    const got = await app.inject({
      method: 'GET',
      url: `/v1/matching/plans/${plan.id as string}`,
      headers: auth(coordinator)
    })
    t.equal(got.statusCode, 200)
    t.ok(got.json().pairs.every((p: any) => p.state === 'accepted' && typeof p.match_id === 'string'))
  })

  t.test('waiting time is a priority', async (t) => {
    const programme2 = await tenant.programme()
    const only = await recentlyVettedMentor(app, coordinator, [programme2], {
      profile: { interests: ['football', 'drawing'] }
    })
    const newer = await waiting(app, coordinator, programme2, { young_person: { interests: ['football', 'drawing'] } })
    const older = await waiting(app, coordinator, programme2, { young_person: { interests: ['football', 'music'] } })
    // The newer referral fits better; the older one has waited a year.
    await db
      .updateTable('referrals')
      .set({ accepted_at: new Date(Date.now() - 365 * 86_400_000) })
      .where('id', '=', older.id)
      .execute()
    const p = await post(app, coordinator, '/v1/matching/plans', { programme_id: programme2 }, 201)
    t.same(
      p.pairs.map((x: any) => [x.referral_id, x.mentor_id]),
      [[older.id, only]]
    )
    t.equal(p.pairs[0].priority, 0.25)
    t.same(
      p.unmatched.map((u: any) => u.referral_id),
      [newer.id]
    )
    t.match(p.unmatched[0].reason, /proposed for others/)
    const sugg = await app.inject({
      method: 'GET',
      url: `/v1/referrals/${newer.id as string}/mentor-suggestions`,
      headers: auth(coordinator)
    })
    const suggOld = await app.inject({
      method: 'GET',
      url: `/v1/referrals/${older.id as string}/mentor-suggestions`,
      headers: auth(coordinator)
    })
    t.ok(sugg.json().data[0].score > suggOld.json().data[0].score, 'on fit alone the newer referral would have won')
  })

  t.test('access and bad input', async (t) => {
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/matching/plans',
      headers: auth(coordinator),
      payload: { programme_id: '00000000-0000-4000-8000-000000000000' }
    })
    t.equal(bad.statusCode, 422)
    t.equal(bad.json().code, 'unknown_reference')
    t.equal(bad.json().errors[0].path, 'body/programme_id')
    const referrer = await app.inject({
      method: 'POST',
      url: '/v1/matching/plans',
      headers: auth(tenant.token('referrer')),
      payload: { programme_id: programmeId }
    })
    t.equal(referrer.statusCode, 403)
    const elsewhere = await createTenant(app)
    const foreign = await app.inject({
      method: 'GET',
      url: `/v1/matching/plans/${plan.id as string}`,
      headers: auth(elsewhere.token('coordinator'))
    })
    t.equal(foreign.statusCode, 404)
  })
})
