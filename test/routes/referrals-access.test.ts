import t from 'tap'
import { randomUUID } from 'node:crypto'
import { referralBody } from '../support/bodies.js'
import { setUp } from '../support/set-up.js'
import { auth } from '../support/tokens.js'

t.test('who sees and changes which referrals', async (t) => {
  const { app, tenant, other } = await setUp(t, { other: true })
  const programme = await tenant.programme({})
  const otherProgramme = await other.programme({})

  const referrerA = tenant.token('referrer', { sub: 'referrer-a' })
  const referrerB = tenant.token('referrer', { sub: 'referrer-b' })
  const coordinator = tenant.token('coordinator')
  const admin = tenant.token('admin')
  const integration = tenant.token('integration', { sub: 'council-system' })
  const mentor = tenant.token('mentor', { mentorId: randomUUID() })

  const create = async (token: string, programmeId = programme, overrides: Record<string, unknown> = {}) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(token),
      payload: referralBody(programmeId, overrides)
    })
    if (res.statusCode !== 201) throw new Error(res.body)
    return res.json() as { id: string; reference: string }
  }
  const get = async (id: string, token: string) =>
    await app.inject({ method: 'GET', url: `/v1/referrals/${id}`, headers: auth(token) })
  const list = async (token: string, query = '') =>
    await app.inject({ method: 'GET', url: `/v1/referrals?limit=200${query}`, headers: auth(token) })
  const patch = async (id: string, token: string, payload: Record<string, unknown>) =>
    await app.inject({ method: 'PATCH', url: `/v1/referrals/${id}`, headers: auth(token), payload })
  const act = async (id: string, action: string, token: string, payload: Record<string, unknown>) =>
    await app.inject({ method: 'POST', url: `/v1/referrals/${id}/${action}`, headers: auth(token), payload })

  const a1 = await create(referrerA)
  const a2 = await create(referrerA)
  const b1 = await create(referrerB)
  const fromIntegration = await create(integration)
  const theirs = await create(other.token('referrer', { sub: 'referrer-a' }), otherProgramme)

  t.test('a referrer lists and reads only the referrals it created', async (t) => {
    const mine = await list(referrerA)
    t.equal(mine.statusCode, 200, mine.body)
    t.same(
      mine
        .json()
        .data.map((r: { id: string }) => r.id)
        .sort(),
      [a1.id, a2.id].sort()
    )
    const bs = await list(referrerB)
    t.same(
      bs.json().data.map((r: { id: string }) => r.id),
      [b1.id]
    )

    t.equal((await get(a1.id, referrerA)).statusCode, 200)
    const notMine = await get(b1.id, referrerA)
    t.equal(notMine.statusCode, 404, "another referrer's referral is not found, not forbidden")
    t.equal(notMine.json().code, 'not_found')
    t.equal(
      (await app.inject({ method: 'GET', url: `/v1/referrals/${b1.id}/history`, headers: auth(referrerA) })).statusCode,
      404
    )
    t.equal(
      (await list(referrerA, `&status=submitted&programme_id=${programme}`)).json().data.length,
      2,
      'filters stay within its own'
    )
  })

  t.test("a referrer cannot change another referrer's referral", async (t) => {
    t.equal((await patch(b1.id, referrerA, { preferences: { mentor_gender: 'male' } })).statusCode, 404)
    t.equal((await act(b1.id, 'withdraw', referrerA, { reason: 'not mine' })).statusCode, 404)
    t.equal((await get(b1.id, coordinator)).json().status, 'submitted')
  })

  t.test("the organisation's staff see every referral of the organisation", async (t) => {
    for (const [role, token] of [
      ['coordinator', coordinator],
      ['admin', admin],
      ['integration', integration]
    ] as const) {
      const res = await list(token)
      t.equal(res.statusCode, 200, `${role}: ${res.body}`)
      t.same(
        res
          .json()
          .data.map((r: { id: string }) => r.id)
          .sort(),
        [a1.id, a2.id, b1.id, fromIntegration.id].sort(),
        role
      )
      t.equal((await get(b1.id, token)).statusCode, 200, role)
    }
  })

  t.test("another organisation's referral is 404 for every role", async (t) => {
    for (const [role, token] of [
      ['coordinator', coordinator],
      ['admin', admin],
      ['integration', integration],
      ['referrer', referrerA]
    ] as const) {
      const res = await get(theirs.id, token)
      t.equal(res.statusCode, 404, `${role}: ${res.body}`)
      t.notMatch(res.body, theirs.reference)
      t.equal(
        (await app.inject({ method: 'GET', url: `/v1/referrals/${theirs.id}/history`, headers: auth(token) }))
          .statusCode,
        404,
        role
      )
      t.notOk(
        (await list(token)).json().data.some((r: { id: string }) => r.id === theirs.id),
        role
      )
    }
    t.equal((await patch(theirs.id, coordinator, { preferences: { mentor_gender: 'male' } })).statusCode, 404)
    for (const [action, payload] of [
      ['start-review', {}],
      ['accept', {}],
      ['decline', { reason_code: 'other' }],
      ['withdraw', { reason: 'x' }],
      ['request-information', { questions: 'q' }]
    ] as const) {
      t.equal((await act(theirs.id, action, coordinator, payload)).statusCode, 404, action)
    }
    t.equal((await get(theirs.id, other.token('coordinator'))).statusCode, 200, 'still there for its own organisation')
    t.equal((await get(theirs.id, other.token('coordinator'))).json().status, 'submitted')
    // The same subject in another organisation is another caller.
    t.equal((await get(a1.id, other.token('referrer', { sub: 'referrer-a' }))).statusCode, 404)
  })

  t.test('a referrer may update its own only while submitted or information_requested', async (t) => {
    const r = await create(referrerA)
    const first = await patch(r.id, referrerA, { preferences: { mentor_gender: 'male', notes: 'Enjoys football' } })
    t.equal(first.statusCode, 200, first.body)
    t.equal(first.json().preferences.mentor_gender, 'male')

    t.equal((await act(r.id, 'request-information', coordinator, { questions: 'Which days suit?' })).statusCode, 200)
    const whileAsked = await patch(r.id, referrerA, { other_services: ['School nurse'] })
    t.equal(whileAsked.statusCode, 200, whileAsked.body)
    t.same(whileAsked.json().other_services, ['School nurse'])

    t.equal((await act(r.id, 'provide-information', referrerA, { answers: 'Weekday evenings' })).statusCode, 200)
    const underReview = await patch(r.id, referrerA, { other_services: ['CAMHS'] })
    t.equal(underReview.statusCode, 409, underReview.body)
    t.equal(underReview.json().code, 'invalid_transition')
    t.equal(
      (await patch(r.id, coordinator, { other_services: ['Youth club'] })).statusCode,
      200,
      'a coordinator still may'
    )

    t.equal((await act(r.id, 'accept', coordinator, {})).statusCode, 200)
    const accepted = await patch(r.id, referrerA, { preferences: { mentor_gender: 'female' } })
    t.equal(accepted.statusCode, 409, accepted.body)
    t.equal(accepted.json().code, 'invalid_transition')
    t.equal((await get(r.id, referrerA)).json().preferences.mentor_gender, 'male', 'unchanged')
    t.equal((await patch(r.id, coordinator, { preferences: { mentor_gender: 'female' } })).statusCode, 200)

    t.equal((await act(r.id, 'decline', coordinator, { reason_code: 'other' })).statusCode, 200)
    const final = await patch(r.id, coordinator, { preferences: { mentor_gender: 'male' } })
    t.equal(final.statusCode, 409, 'nobody edits a final referral')
  })

  t.test('integration creates and reads but does not screen', async (t) => {
    const res = await get(fromIntegration.id, integration)
    t.equal(res.statusCode, 200, res.body)
    for (const [action, payload] of [
      ['accept', {}],
      ['decline', { reason_code: 'other' }],
      ['start-review', {}],
      ['request-information', { questions: 'q' }]
    ] as const) {
      const r = await act(fromIntegration.id, action, integration, payload)
      t.equal(r.statusCode, 403, `${action}: ${r.body}`)
      t.equal(r.json().code, 'forbidden')
    }
    t.equal((await patch(fromIntegration.id, integration, { other_services: ['x'] })).statusCode, 403)
    t.equal((await get(fromIntegration.id, coordinator)).json().status, 'submitted')
  })

  t.test('admin reads but does not submit; mentor and platform admin get 403', async (t) => {
    const adminPost = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(admin),
      payload: referralBody(programme)
    })
    t.equal(adminPost.statusCode, 403, adminPost.body)
    const platform = tenant.token('platform_admin', { org: null })
    for (const [who, token] of [
      ['mentor', mentor],
      ['platform_admin', platform]
    ] as const) {
      t.equal((await list(token)).statusCode, 403, `${who} list`)
      t.equal((await get(a1.id, token)).statusCode, 403, `${who} get`)
      t.equal(
        (await app.inject({ method: 'GET', url: `/v1/referrals/${a1.id}/history`, headers: auth(token) })).statusCode,
        403,
        `${who} history`
      )
      t.equal(
        (
          await app.inject({
            method: 'POST',
            url: '/v1/referrals',
            headers: auth(token),
            payload: referralBody(programme)
          })
        ).statusCode,
        403,
        `${who} create`
      )
      t.equal((await patch(a1.id, token, { other_services: ['x'] })).statusCode, 403, `${who} patch`)
      t.equal((await act(a1.id, 'withdraw', token, { reason: 'x' })).statusCode, 403, `${who} withdraw`)
    }
  })

  t.test('no token is 401', async (t) => {
    const res = await app.inject({ method: 'GET', url: `/v1/referrals/${a1.id}` })
    t.equal(res.statusCode, 401)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  })
})
