import t from 'tap'
import { request as httpRequest } from 'node:http'
import { auth } from '../support/tokens.js'
import { build } from '../support/set-up.js'
import { createTenant } from '../support/tenants.js'
import { referralBody } from '../support/bodies.js'
import { mentorBody } from '../support/bodies.js'

t.test('blank names and unpaired surrogates are 400s naming the field', async (t) => {
  const { app } = await build(t)
  const tenant = await createTenant(app)
  const programmeId = await tenant.programme()
  const coordinator = tenant.token('coordinator')

  for (const [path, override] of [
    ['body/young_person/given_name', { young_person: { given_name: '   ' } }],
    ['body/young_person/family_name', { young_person: { family_name: '\t \n' } }],
    ['body/referrer/name', { referrer: { name: ' ' } }],
    ['body/needs/statement', { needs: { statement: '    ' } }]
  ] as const) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(coordinator),
      payload: referralBody(programmeId, override)
    })
    t.equal(res.statusCode, 400, res.body)
    t.same(
      res.json().errors.find((e: { path: string }) => e.path === path),
      { path, message: 'must not be blank' },
      res.body
    )
  }
  const mentor = await app.inject({
    method: 'POST',
    url: '/v1/mentors',
    headers: auth(coordinator),
    payload: mentorBody([programmeId], { given_name: '  ' })
  })
  t.equal(mentor.statusCode, 400)
  t.equal(mentor.json().errors[0].path, 'body/given_name')
  const programme = await app.inject({
    method: 'POST',
    url: '/v1/programmes',
    headers: auth(tenant.token('admin')),
    payload: { name: ' ', kind: 'mentoring', rules: {} }
  })
  t.equal(programme.statusCode, 400)
  t.equal(programme.json().errors[0].path, 'body/name')

  // JSON can carry a lone surrogate as an escape; UTF-8 (and so PostgreSQL) cannot.
  const body = JSON.stringify(referralBody(programmeId)).replace('"Amara"', '"Ama\\ud800ra"')
  const surrogate = await app.inject({
    method: 'POST',
    url: '/v1/referrals',
    headers: { ...auth(coordinator), 'content-type': 'application/json' },
    payload: body
  })
  t.equal(surrogate.statusCode, 400, surrogate.body)
  t.equal(surrogate.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.same(surrogate.json().errors, [
    { path: 'body/young_person/given_name', message: 'must be valid Unicode text (it has an unpaired surrogate)' }
  ])
  const trailing = JSON.stringify(referralBody(programmeId)).replace('"Sam Teacher"', '"Sam \\udc00"')
  const low = await app.inject({
    method: 'POST',
    url: '/v1/referrals',
    headers: { ...auth(coordinator), 'content-type': 'application/json' },
    payload: trailing
  })
  t.equal(low.statusCode, 400)
  t.equal(low.json().errors[0].path, 'body/referrer/name')
  const paired = JSON.stringify(referralBody(programmeId)).replace('"Amara"', '"Amara \\ud83d\\ude00"')
  const emoji = await app.inject({
    method: 'POST',
    url: '/v1/referrals',
    headers: { ...auth(coordinator), 'content-type': 'application/json' },
    payload: paired
  })
  t.equal(emoji.statusCode, 201, 'a surrogate pair (an emoji) is ordinary text')
  const query = await app.inject({ method: 'GET', url: '/v1/referrals?cursor=%ED%A0%80', headers: auth(coordinator) })
  t.equal(query.statusCode, 400)
  t.match(query.json().errors[0].path, /^query/)
})

t.test('headers too large are answered as a problem', async (t) => {
  const { app } = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const res = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: '/health/live', headers: { 'x-filler': 'x'.repeat(20_000) } },
      (r) => {
        let body = ''
        r.setEncoding('utf8')
        r.on('data', (c: string) => {
          body += c
        })
        r.on('end', () => resolve({ status: r.statusCode ?? 0, type: String(r.headers['content-type']), body }))
      }
    )
    req.on('error', reject)
    req.end()
  })
  t.equal(res.status, 431)
  t.equal(res.type, 'application/problem+json; charset=utf-8')
  t.match(JSON.parse(res.body), {
    status: 431,
    code: 'headers_too_large',
    type: 'urn:waymark:problem:headers_too_large',
    title: String
  })
})
