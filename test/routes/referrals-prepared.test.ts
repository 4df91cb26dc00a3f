import pg from 'pg'
import t from 'tap'
import { referralBody } from '../support/bodies.js'
import { setUp } from '../support/set-up.js'
import { auth } from '../support/tokens.js'

// Referral reads are prepared statements cached on each connection. A migration adding a column while
// the service runs must not break them (a cached `select *` would fail with "cached plan must not
// change result type").
t.test('referral reads survive a column added while the service runs', async (t) => {
  // One connection, so the second read reuses the statement the first one prepared.
  const { app, config, tenant } = await setUp(t, { env: { DATABASE_POOL_SIZE: '1' } })
  const programme = await tenant.programme()
  const token = tenant.token('coordinator')
  const created = await app.inject({
    method: 'POST',
    url: '/v1/referrals',
    headers: auth(token),
    payload: referralBody(programme)
  })
  t.equal(created.statusCode, 201, created.body)
  const id = created.json().id as string

  const before = await app.inject({ method: 'GET', url: `/v1/referrals/${id}`, headers: auth(token) })
  t.equal(before.statusCode, 200, before.body)
  t.equal((await app.inject({ method: 'GET', url: '/v1/referrals?limit=5', headers: auth(token) })).statusCode, 200)

  const admin = new pg.Client({ connectionString: config.DATABASE_URL })
  await admin.connect()
  await admin.query('alter table referrals add column added_later integer')
  await admin.end()

  const after = await app.inject({ method: 'GET', url: `/v1/referrals/${id}`, headers: auth(token) })
  t.equal(after.statusCode, 200, after.body)
  t.same(after.json(), before.json())
  const list = await app.inject({ method: 'GET', url: '/v1/referrals?limit=5', headers: auth(token) })
  t.equal(list.statusCode, 200, list.body)
  t.equal(list.json().data[0].id, id)
})
