import t from 'tap'
import { referralBody } from '../support/bodies.js'
import { recentlyVettedMentor } from '../support/mentors.js'
import { post } from '../support/requests.js'
import { setUp } from '../support/set-up.js'
import { createTenant } from '../support/tenants.js'
import { auth } from '../support/tokens.js'

t.test('mentor suggestions', async (t) => {
  const {
    app,
    tenant,
    tokens: { coordinator }
  } = await setUp(t)
  const programmeId = await tenant.programme()
  const best = await recentlyVettedMentor(app, coordinator, [programmeId], {
    profile: {
      given_name: 'Ada',
      interests: ['Football', 'drawing'],
      experience_areas: ['confidence', 'friendships'],
      availability: [
        { day: 'tue', part: 'evening' },
        { day: 'sat', part: 'morning' }
      ]
    }
  })
  const other = await recentlyVettedMentor(app, coordinator, [programmeId], {
    profile: { given_name: 'Bea', interests: ['chess'], experience_areas: [], postcode: 'BR2 9XY' }
  })
  const male = await recentlyVettedMentor(app, coordinator, [programmeId], {
    profile: { given_name: 'Carl', gender: 'male', interests: ['football', 'drawing'] }
  })
  const unapproved = await recentlyVettedMentor(app, coordinator, [programmeId], {
    approve: false,
    profile: { given_name: 'Dee' }
  })
  const virtualOnly = await recentlyVettedMentor(app, coordinator, [programmeId], {
    profile: { given_name: 'Eve', delivery_modes: ['virtual'] }
  })

  const referral = await post(app, coordinator, '/v1/referrals', referralBody(programmeId), 201)
  const url = `/v1/referrals/${referral.id as string}/mentor-suggestions`

  t.test('409 until the referral is accepted', async (t) => {
    const res = await app.inject({ method: 'GET', url, headers: auth(coordinator) })
    t.equal(res.statusCode, 409, res.body)
    t.equal(res.json().reasons[0].code, 'referral_not_waiting')
  })

  await post(app, coordinator, `/v1/referrals/${referral.id as string}/accept`, {}, 200)

  t.test('ranks the cleared mentors that pass every hard rule, explained', async (t) => {
    const res = await app.inject({ method: 'GET', url, headers: auth(coordinator) })
    t.equal(res.statusCode, 200, res.body)
    const data = res.json().data
    t.same(
      data.map((d: any) => d.mentor_id),
      [best, other],
      'the others are excluded by a hard rule'
    )
    t.ok(data[0].score > data[1].score)
    const sum = Object.values(data[0].breakdown).reduce((s: number, c: any) => s + c.weighted, 0)
    t.ok(Math.abs(sum - data[0].score) < 0.001, 'the weighted parts add up to the score')
    t.equal(data[0].breakdown.interests.value, 1)
    t.ok(data[0].reasons.includes('Shares 2 interests: football, drawing'), data[0].reasons.join(' | '))
    t.ok(data[0].reasons.some((r: string) => r.startsWith('Has experience supporting confidence, friendships')))
    t.equal(data[0].distance_basis, 'postcode')
    t.equal(data[1].distance_basis, 'area')
    t.ok(data[0].breakdown.distance.value > data[1].breakdown.distance.value, 'closer is better')
  })

  t.test('limit', async (t) => {
    const res = await app.inject({ method: 'GET', url: `${url}?limit=1`, headers: auth(coordinator) })
    t.same(
      res.json().data.map((d: any) => d.mentor_id),
      [best]
    )
    const bad = await app.inject({ method: 'GET', url: `${url}?limit=0`, headers: auth(coordinator) })
    t.equal(bad.statusCode, 400)
    t.equal(bad.json().errors[0].path, 'query/limit')
  })

  t.test('asked about one mentor, says which hard rule excludes it', async (t) => {
    const ask = async (id: string): Promise<string[]> => {
      const res = await app.inject({ method: 'GET', url: `${url}?mentor_id=${id}`, headers: auth(coordinator) })
      t.equal(res.statusCode, 200, res.body)
      return res.json().data[0].excluded_by.map((r: any) => r.code)
    }
    t.same(await ask(best), [])
    t.same(await ask(male), ['gender_preference'])
    t.same(await ask(unapproved), ['not_approved'])
    t.same(await ask(virtualOnly), ['delivery_mode'])
    const res = await app.inject({ method: 'GET', url: `${url}?mentor_id=${male}`, headers: auth(coordinator) })
    t.match(res.json().data[0].excluded_by[0].message, /asked for a female mentor/)
  })

  t.test('a mentor without a free place drops out', async (t) => {
    const second = await post(
      app,
      coordinator,
      '/v1/referrals',
      referralBody(programmeId, { referrer: { email: 'other.teacher@school.example' } }),
      201
    )
    await post(app, coordinator, `/v1/referrals/${second.id as string}/accept`, {}, 200)
    await post(
      app,
      coordinator,
      '/v1/matches',
      {
        referral_id: second.id,
        mentor_id: best,
        introduction: { scheduled_at: '2026-12-01T16:00:00Z', location: 'School library' }
      },
      201
    )
    const res = await app.inject({ method: 'GET', url, headers: auth(coordinator) })
    t.same(
      res.json().data.map((d: any) => d.mentor_id),
      [other]
    )
    const why = await app.inject({ method: 'GET', url: `${url}?mentor_id=${best}`, headers: auth(coordinator) })
    t.same(
      why.json().data[0].excluded_by.map((r: any) => r.code),
      ['no_capacity']
    )
  })

  t.test('only coordinators', async (t) => {
    for (const role of ['referrer', 'mentor', 'admin'] as const) {
      const res = await app.inject({
        method: 'GET',
        url,
        headers: auth(tenant.token(role, role === 'mentor' ? { mentorId: best } : {}))
      })
      t.equal(res.statusCode, 403, role)
    }
    const elsewhere = await createTenant(app)
    const res = await app.inject({ method: 'GET', url, headers: auth(elsewhere.token('coordinator')) })
    t.equal(res.statusCode, 404)
  })
})

t.test('programme rules: distance, independence, prior involvement', async (t) => {
  const {
    app,
    tenant,
    tokens: { coordinator }
  } = await setUp(t)

  t.test('maximum distance', async (t) => {
    const programmeId = await tenant.programme({ matching: { max_distance_km: 5 } })
    const near = await recentlyVettedMentor(app, coordinator, [programmeId], { profile: { postcode: 'BR1 3XY' } })
    const far = await recentlyVettedMentor(app, coordinator, [programmeId], { profile: { postcode: 'SE1 7PB' } })
    const referral = await post(app, coordinator, '/v1/referrals', referralBody(programmeId), 201)
    await post(app, coordinator, `/v1/referrals/${referral.id as string}/accept`, {}, 200)
    const res = await app.inject({
      method: 'GET',
      url: `/v1/referrals/${referral.id as string}/mentor-suggestions`,
      headers: auth(coordinator)
    })
    t.same(
      res.json().data.map((d: any) => d.mentor_id),
      [near]
    )
    const why = await app.inject({
      method: 'GET',
      url: `/v1/referrals/${referral.id as string}/mentor-suggestions?mentor_id=${far}`,
      headers: auth(coordinator)
    })
    t.same(
      why.json().data[0].excluded_by.map((r: any) => r.code),
      ['too_far']
    )
  })

  t.test('independent of the care system', async (t) => {
    const programmeId = await tenant.programme(
      { mentor_requirements: { independent_of_care_system: true } },
      { kind: 'independent_visitor' }
    )
    // Approved, then found to work in the care system.
    const social = await recentlyVettedMentor(app, coordinator, [programmeId])
    const patched = await app.inject({
      method: 'PATCH',
      url: `/v1/mentors/${social}`,
      headers: auth(coordinator),
      payload: { works_in_care_system: true }
    })
    t.equal(patched.statusCode, 200, patched.body)
    const independent = await recentlyVettedMentor(app, coordinator, [programmeId])
    const referral = await post(
      app,
      coordinator,
      '/v1/referrals',
      referralBody(programmeId, { referrer: { email: 'iv@council.example' } }),
      201
    )
    await post(app, coordinator, `/v1/referrals/${referral.id as string}/accept`, {}, 200)
    const res = await app.inject({
      method: 'GET',
      url: `/v1/referrals/${referral.id as string}/mentor-suggestions`,
      headers: auth(coordinator)
    })
    t.same(
      res.json().data.map((d: any) => d.mentor_id),
      [independent]
    )
    const why = await app.inject({
      method: 'GET',
      url: `/v1/referrals/${referral.id as string}/mentor-suggestions?mentor_id=${social}`,
      headers: auth(coordinator)
    })
    t.ok(why.json().data[0].excluded_by.some((r: any) => r.code === 'not_independent'))
  })

  t.test('a former professional of the young person, from the referring organisation', async (t) => {
    const programmeId = await tenant.programme({
      mentor_requirements: { prior_professional_gap_months: 3 },
      consent: { parental: 'never' },
      eligibility: { max_age: 25 }
    })
    const body = referralBody(programmeId, {
      referrer: { organisation: 'Stockport Council Leaving Care Team', email: 'pa@stockport.example' }
    })
    const same = await recentlyVettedMentor(app, coordinator, [programmeId], {
      profile: {
        professional_background: {
          role: 'Personal adviser',
          organisation: 'Stockport Council Leaving Care Team',
          involvement_ended_on: '2025-06-30'
        }
      }
    })
    const unrelated = await recentlyVettedMentor(app, coordinator, [programmeId], {
      profile: {
        professional_background: {
          role: 'Teacher',
          organisation: 'Another Academy',
          involvement_ended_on: '2025-06-30'
        }
      }
    })
    const referral = await post(app, coordinator, '/v1/referrals', body, 201)
    await post(app, coordinator, `/v1/referrals/${referral.id as string}/accept`, {}, 200)
    const res = await app.inject({
      method: 'GET',
      url: `/v1/referrals/${referral.id as string}/mentor-suggestions`,
      headers: auth(coordinator)
    })
    t.same(
      res.json().data.map((d: any) => d.mentor_id),
      [same]
    )
    const why = await app.inject({
      method: 'GET',
      url: `/v1/referrals/${referral.id as string}/mentor-suggestions?mentor_id=${unrelated}`,
      headers: auth(coordinator)
    })
    t.same(
      why.json().data[0].excluded_by.map((r: any) => r.code),
      ['prior_involvement']
    )
  })
})
