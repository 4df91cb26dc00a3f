import t from 'tap'
import { randomUUID } from 'node:crypto'
import { build } from '../support/set-up.js'
import { createTenant } from '../support/tenants.js'
import { auth, tokenFor } from '../support/tokens.js'

t.test('organisations', async (t) => {
  const { app } = await build(t)
  const platform = tokenFor('platform_admin', { org: null })
  const create = async (payload: Record<string, unknown>, token = platform) =>
    await app.inject({ method: 'POST', url: '/v1/organisations', headers: auth(token), payload })
  const errorPaths = (res: { json: () => any }): string[] =>
    (res.json().errors ?? []).map((e: { path: string }) => e.path)

  t.test('a platform admin creates an organisation', async (t) => {
    const res = await create({ name: 'Bromley Mentoring Initiative', code: 'BMI' })
    t.equal(res.statusCode, 201, res.body)
    const org = res.json()
    t.match(org, { name: 'Bromley Mentoring Initiative', code: 'BMI' })
    t.match(org.id, /^[0-9a-f-]{36}$/)
    t.ok(org.created_at && org.updated_at)
  })

  t.test('only a platform admin creates organisations', async (t) => {
    const tenant = await createTenant(app)
    for (const role of ['admin', 'coordinator', 'referrer', 'integration'] as const) {
      const res = await create({ name: 'Not allowed', code: 'NOPE' }, tenant.token(role))
      t.equal(res.statusCode, 403, `${role}: ${res.body}`)
      t.equal(res.json().code, 'forbidden')
    }
    t.equal(
      (await create({ name: 'Not allowed', code: 'NOPE' }, tenant.token('mentor', { mentorId: randomUUID() })))
        .statusCode,
      403
    )
    t.equal(
      (await create({ name: 'Not allowed', code: 'NOPE' }, tenant.token(['admin', 'coordinator']))).statusCode,
      403
    )
    t.equal((await create({ name: 'Now allowed', code: 'NOPE' })).statusCode, 201, 'the code was never taken')
    t.equal(
      (await app.inject({ method: 'POST', url: '/v1/organisations', payload: { name: 'x', code: 'XX' } })).statusCode,
      401
    )
  })

  t.test('the code is 2 to 10 capital letters', async (t) => {
    for (const code of ['A', 'ab', 'Ab', 'ABCDEFGHIJK', 'AB1', 'A-B', 'ÄB', '']) {
      const res = await create({ name: 'Bad code', code })
      t.equal(res.statusCode, 400, `${code}: ${res.body}`)
      t.same(errorPaths(res), ['body/code'], code)
    }
    t.equal((await create({ name: 'Short', code: 'SS' })).statusCode, 201)
    t.equal((await create({ name: 'Long', code: 'ABCDEFGHIJ' })).statusCode, 201)
    const missing = await create({ name: 'No code' })
    t.same(errorPaths(missing), ['body/code'])
    const extra = await create({ name: 'Extra', code: 'EXTRA', colour: 'red' })
    t.equal(extra.statusCode, 400)
    t.same(errorPaths(extra), ['body/colour'])
  })

  t.test('a duplicate code is a conflict', async (t) => {
    t.equal((await create({ name: 'Safe Space', code: 'SAFE' })).statusCode, 201)
    const again = await create({ name: 'Another Safe Space', code: 'SAFE' })
    t.equal(again.statusCode, 409, again.body)
    t.equal(again.headers['content-type'], 'application/problem+json; charset=utf-8')
    const twice = await Promise.all([
      create({ name: 'Race one', code: 'RACE' }),
      create({ name: 'Race two', code: 'RACE' })
    ])
    t.same(twice.map((r) => r.statusCode).sort(), [201, 409], 'two at once: one wins')
  })

  t.test('Idempotency-Key: a retry returns the first organisation instead of a conflict', async (t) => {
    const key = randomUUID()
    const headers = { ...auth(platform), 'idempotency-key': key }
    const first = await app.inject({
      method: 'POST',
      url: '/v1/organisations',
      headers,
      payload: { name: 'Stockport', code: 'STOCK' }
    })
    t.equal(first.statusCode, 201, first.body)
    const again = await app.inject({
      method: 'POST',
      url: '/v1/organisations',
      headers,
      payload: { name: 'Stockport', code: 'STOCK' }
    })
    t.equal(again.statusCode, 201, again.body)
    t.equal(again.json().id, first.json().id)
    const changed = await app.inject({
      method: 'POST',
      url: '/v1/organisations',
      headers,
      payload: { name: 'Stockport', code: 'STOCKP' }
    })
    t.equal(changed.statusCode, 422, changed.body)
    t.equal(changed.json().code, 'idempotency_key_reused')
    const withoutKey = await create({ name: 'Stockport', code: 'STOCK' })
    t.equal(withoutKey.statusCode, 409, 'without the key it is a second request, and the code is taken')
  })

  t.test("GET /v1/organisation returns the caller's", async (t) => {
    const a = await createTenant(app)
    const b = await createTenant(app)
    for (const role of ['admin', 'coordinator', 'referrer', 'integration'] as const) {
      const res = await app.inject({ method: 'GET', url: '/v1/organisation', headers: auth(a.token(role)) })
      t.equal(res.statusCode, 200, `${role}: ${res.body}`)
      t.equal(res.json().id, a.orgId)
      t.equal(res.json().code, a.code)
    }
    const mentor = await app.inject({
      method: 'GET',
      url: '/v1/organisation',
      headers: auth(b.token('mentor', { mentorId: randomUUID() }))
    })
    t.equal(mentor.statusCode, 200)
    t.equal(mentor.json().id, b.orgId)
    t.equal((await app.inject({ method: 'GET', url: '/v1/organisation', headers: auth(platform) })).statusCode, 403)
    const unknownOrg = await app.inject({
      method: 'GET',
      url: '/v1/organisation',
      headers: auth(tokenFor('admin', { org: randomUUID() }))
    })
    t.equal(unknownOrg.statusCode, 404, 'a token for an organisation that does not exist')
  })
})
