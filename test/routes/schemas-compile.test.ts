import t from 'tap'
import { build } from '../support/set-up.js'
import { auth, tokenFor } from '../support/tokens.js'

t.test(
  'request validators and response serializers compile on first use or all at once, the same either way',
  async (t) => {
    const { app } = await build(t)
    const admin = tokenFor('platform_admin', { org: null })
    // Before the rest are compiled: a body is still held to its schema, and never coerced.
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/organisations',
      headers: auth(admin),
      payload: { name: 123, code: 'VAL' }
    })
    t.equal(bad.statusCode, 400)
    t.match(bad.json().errors, [{ path: 'body/name', message: 'must be string' }])
    const compiled = await app.compileSchemas()
    t.ok(compiled > 50, `every route's validators and serializers compile (${compiled})`)
    t.equal(await app.compileSchemas(), 0, 'each once')
    const good = await app.inject({
      method: 'POST',
      url: '/v1/organisations',
      headers: auth(admin),
      payload: { name: 'Validators Org', code: 'VAL' }
    })
    t.equal(good.statusCode, 201, good.body)
    const query = await app.inject({
      method: 'GET',
      url: '/v1/referrals?limit=abc',
      headers: auth(tokenFor('coordinator', { org: good.json().id }))
    })
    t.equal(query.statusCode, 400)
    t.match(query.json().errors, [{ path: 'query/limit', message: 'must be integer' }])
  }
)
