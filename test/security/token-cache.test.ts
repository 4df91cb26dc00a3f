import t from 'tap'
import { setUp } from '../support/set-up.js'
import { createTenant } from '../support/tenants.js'
import { auth, tokenFor } from '../support/tokens.js'

// Verified tokens are remembered for speed; these check that remembering never widens what a token allows.
t.test('remembered tokens', async (t) => {
  const { app, tenant } = await setUp(t)

  t.test('a token stops working when it expires, even after it was accepted', async (t) => {
    const token = tenant.token('coordinator', { expiresIn: 2 })
    const first = await app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(token) })
    t.equal(first.statusCode, 200, first.body)
    await new Promise((resolve) => setTimeout(resolve, 2100))
    const later = await app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(token) })
    t.equal(later.statusCode, 401, later.body)
  })

  t.test('a token with an altered signature is refused after the genuine one was accepted', async (t) => {
    const token = tenant.token('coordinator')
    t.equal((await app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(token) })).statusCode, 200)
    // Alter the signature's first character: all six of its bits are signature bits (the last
    // character's low bits are padding, so changing it can leave the signature the same).
    const dot = token.lastIndexOf('.') + 1
    const forged = `${token.slice(0, dot)}${token[dot] === 'A' ? 'B' : 'A'}${token.slice(dot + 1)}`
    t.equal((await app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(forged) })).statusCode, 401)
  })

  t.test('roles are checked on every request, not only the first', async (t) => {
    const token = tenant.token('referrer')
    t.equal((await app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(token) })).statusCode, 200)
    const res = await app.inject({
      method: 'POST',
      url: '/v1/programmes',
      headers: auth(token),
      payload: { name: 'Not allowed', kind: 'mentoring', rules: {} }
    })
    t.equal(res.statusCode, 403, res.body)
  })

  t.test('a token for another organisation is its own caller', async (t) => {
    const other = await createTenant(app)
    const mine = tenant.token('coordinator', { sub: 'same-subject' })
    const theirs = tokenFor('coordinator', { org: other.orgId, sub: 'same-subject' })
    const programme = await tenant.programme()
    t.equal(
      (await app.inject({ method: 'GET', url: `/v1/programmes/${programme}`, headers: auth(mine) })).statusCode,
      200
    )
    t.equal(
      (await app.inject({ method: 'GET', url: `/v1/programmes/${programme}`, headers: auth(theirs) })).statusCode,
      404
    )
  })
})
