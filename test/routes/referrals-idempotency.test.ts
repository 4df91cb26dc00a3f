import t from 'tap'
import { randomUUID } from 'node:crypto'
import { referralBody } from '../support/bodies.js'
import { setUp } from '../support/set-up.js'
import { createTenant } from '../support/tenants.js'
import { auth } from '../support/tokens.js'

t.test('Idempotency-Key on referral intake', async (t) => {
  const {
    app,
    tenant,
    tokens: { coordinator }
  } = await setUp(t)

  const post = async (token: string, key: string | undefined, body: Record<string, unknown>) =>
    await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: { ...auth(token), ...(key !== undefined ? { 'idempotency-key': key } : {}) },
      payload: body
    })
  const referralsOf = async (programmeId: string): Promise<Array<{ id: string }>> =>
    (
      await app.inject({
        method: 'GET',
        url: `/v1/referrals?limit=200&programme_id=${programmeId}`,
        headers: auth(coordinator)
      })
    ).json().data
  const acknowledgements = async (id: string): Promise<unknown[]> =>
    (
      await app.inject({
        method: 'GET',
        url: `/v1/notifications?subject_id=${id}&kind=referral_acknowledgement`,
        headers: auth(coordinator)
      })
    ).json().data

  t.test('a retry with the same key and body returns the first response and creates nothing', async (t) => {
    const programme = await tenant.programme({})
    const referrer = tenant.token('referrer')
    const key = randomUUID()
    const body = referralBody(programme)
    const first = await post(referrer, key, body)
    t.equal(first.statusCode, 201, first.body)
    const again = await post(referrer, key, body)
    t.equal(again.statusCode, 201, again.body)
    t.equal(again.json().id, first.json().id)
    t.equal(again.json().reference, first.json().reference)
    t.same(again.json(), first.json(), 'the same response')
    t.equal(again.headers.location, first.headers.location)
    t.equal(again.headers['idempotent-replayed'], 'true')

    // The same body with its fields in another order is the same request.
    const reordered = Object.fromEntries(Object.entries(body).reverse())
    const third = await post(referrer, key, reordered)
    t.equal(third.statusCode, 201, third.body)
    t.equal(third.json().id, first.json().id)

    t.equal((await referralsOf(programme)).length, 1, 'one referral')
    t.equal((await acknowledgements(first.json().id)).length, 1, 'one acknowledgement')
  })

  t.test('the same key with a different body is refused', async (t) => {
    const programme = await tenant.programme({})
    const referrer = tenant.token('referrer')
    const key = randomUUID()
    const first = await post(referrer, key, referralBody(programme))
    t.equal(first.statusCode, 201, first.body)
    const changed = await post(referrer, key, referralBody(programme, { needs: { level: 'low' } }))
    t.equal(changed.statusCode, 422, changed.body)
    t.equal(changed.json().code, 'idempotency_key_reused')
    t.equal(changed.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.equal((await referralsOf(programme)).length, 1)
  })

  t.test('without a key, every request creates', async (t) => {
    const programme = await tenant.programme({})
    const referrer = tenant.token('referrer')
    const body = referralBody(programme)
    t.equal((await post(referrer, undefined, body)).statusCode, 201)
    t.equal((await post(referrer, undefined, body)).statusCode, 201)
    t.equal((await referralsOf(programme)).length, 2)
  })

  t.test('different callers use the same key independently', async (t) => {
    const programme = await tenant.programme({})
    const key = 'shared-key-0001'
    const body = referralBody(programme)
    const a = await post(tenant.token('referrer', { sub: 'referrer-one' }), key, body)
    const b = await post(tenant.token('referrer', { sub: 'referrer-two' }), key, body)
    const c = await post(
      tenant.token('integration', { sub: 'council-portal' }),
      key,
      referralBody(programme, { needs: { level: 'low' } })
    )
    t.equal(a.statusCode, 201, a.body)
    t.equal(b.statusCode, 201, b.body)
    t.equal(c.statusCode, 201, c.body)
    t.not(a.json().id, b.json().id)
    t.equal((await referralsOf(programme)).length, 3)

    // The same subject in another organisation is another caller too.
    const other = await createTenant(app)
    const otherProgramme = await other.programme({})
    const d = await post(other.token('referrer', { sub: 'referrer-one' }), key, referralBody(otherProgramme))
    t.equal(d.statusCode, 201, d.body)
  })

  t.test('a refused request does not use up its key', async (t) => {
    const programme = await tenant.programme({})
    const referrer = tenant.token('referrer')
    const key = randomUUID()
    const refused = await post(referrer, key, referralBody(programme, { consent: { young_person: { given: false } } }))
    t.equal(refused.statusCode, 422, refused.body)
    const fixed = await post(referrer, key, referralBody(programme))
    t.equal(fixed.statusCode, 201, fixed.body)
  })

  t.test('10 concurrent requests with the same key create exactly one referral', async (t) => {
    const programme = await tenant.programme({})
    const referrer = tenant.token('referrer')
    const key = randomUUID()
    const body = referralBody(programme)
    const responses = await Promise.all(Array.from({ length: 10 }, async () => await post(referrer, key, body)))
    t.same(
      responses.map((r) => r.statusCode),
      Array(10).fill(201),
      responses.map((r) => r.statusCode).join(',')
    )
    const ids = new Set(responses.map((r) => r.json().id))
    t.equal(ids.size, 1, 'every response names the same referral')
    const list = await referralsOf(programme)
    t.equal(list.length, 1)
    t.equal(list[0].id, [...ids][0])
    t.equal((await acknowledgements(list[0].id)).length, 1)
  })

  t.test('a malformed key is bad input', async (t) => {
    const programme = await tenant.programme({})
    const res = await post(tenant.token('referrer'), 'x'.repeat(300), referralBody(programme))
    t.equal(res.statusCode, 400, res.body)
    t.ok(
      res.json().errors.some((e: { path: string }) => e.path.includes('idempotency-key')),
      res.body
    )
  })
})
