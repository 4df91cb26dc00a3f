import t from 'tap'
import { setUp } from '../support/set-up.js'
import { auth } from '../support/tokens.js'

t.test('staff directory', async (t) => {
  const {
    app,
    tenant,
    other,
    tokens: { admin }
  } = await setUp(t, { other: true })

  const created = await app.inject({
    method: 'POST',
    url: '/v1/users',
    headers: auth(admin),
    payload: { email: 'lead@council.example', name: 'Pat Lead', roles: ['coordinator'] }
  })
  t.equal(created.statusCode, 201, created.body)
  const id = created.json().id

  const dup = await app.inject({
    method: 'POST',
    url: '/v1/users',
    headers: auth(admin),
    payload: { email: 'LEAD@council.example', name: 'Pat Again', roles: ['admin'] }
  })
  t.equal(dup.statusCode, 409, 'an email is unique within the organisation, whatever its case')

  const asCoordinator = await app.inject({
    method: 'POST',
    url: '/v1/users',
    headers: auth(tenant.token('coordinator')),
    payload: { email: 'x@council.example', name: 'X', roles: ['coordinator'] }
  })
  t.equal(asCoordinator.statusCode, 403)

  const list = await app.inject({
    method: 'GET',
    url: '/v1/users?role=coordinator',
    headers: auth(tenant.token('coordinator'))
  })
  t.equal(list.statusCode, 200)
  t.same(
    list.json().data.map((u: { email: string }) => u.email),
    ['lead@council.example']
  )

  const foreign = await app.inject({
    method: 'PATCH',
    url: `/v1/users/${id}`,
    headers: auth(other.token('admin')),
    payload: { active: false }
  })
  t.equal(foreign.statusCode, 404, 'another organisation cannot see the user')

  const stale = await app.inject({
    method: 'PATCH',
    url: `/v1/users/${id}`,
    headers: { ...auth(admin), 'if-match': '"00000000-9"' },
    payload: { active: false }
  })
  t.equal(stale.statusCode, 412)

  const off = await app.inject({
    method: 'PATCH',
    url: `/v1/users/${id}`,
    headers: { ...auth(admin), 'if-match': created.headers.etag as string },
    payload: { active: false }
  })
  t.equal(off.statusCode, 200, off.body)
  t.equal(off.json().active, false)
  const none = await app.inject({ method: 'GET', url: '/v1/users?role=coordinator&active=true', headers: auth(admin) })
  t.same(none.json().data, [])
})
