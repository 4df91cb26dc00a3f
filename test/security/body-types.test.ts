import t from 'tap'
import { auth } from '../support/tokens.js'
import { build } from '../support/set-up.js'
import { createTenant } from '../support/tenants.js'
import { referralBody } from '../support/bodies.js'
import { mentorBody } from '../support/bodies.js'

t.test('request bodies are never coerced; query strings may be', async (t) => {
  const { app } = await build(t)
  const tenant = await createTenant(app)
  const programmeId = await tenant.programme()
  const coordinator = tenant.token('coordinator')

  const cases: Array<[string, Record<string, unknown>]> = [
    ['body/young_person/school_year', { young_person: { school_year: '8' } }],
    ['body/young_person/given_name', { young_person: { given_name: 123 } }],
    ['body/risks/cin_plan', { risks: { cin_plan: 'false' } }],
    ['body/referrer/is_parent_or_carer', { referrer: { is_parent_or_carer: 0 } }],
    ['body/young_person/interests', { young_person: { interests: 'football' } }],
    ['body/young_person/given_name', { young_person: { given_name: ['Amara'] } }],
    ['body/risks/cin_plan', { risks: { cin_plan: null } }]
  ]
  for (const [path, override] of cases) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(coordinator),
      payload: referralBody(programmeId, override)
    })
    t.equal(res.statusCode, 400, `${JSON.stringify(override)}: ${res.body}`)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.ok(
      res.json().errors.some((e: { path: string }) => e.path === path),
      `${JSON.stringify(override)} names ${path}: ${res.body}`
    )
  }

  const mentor = await app.inject({
    method: 'POST',
    url: '/v1/mentors',
    headers: auth(coordinator),
    payload: mentorBody([programmeId], { capacity: '2' })
  })
  t.equal(mentor.statusCode, 400)
  t.equal(mentor.json().errors[0].path, 'body/capacity')

  const typed = await app.inject({
    method: 'POST',
    url: '/v1/referrals',
    headers: auth(coordinator),
    payload: referralBody(programmeId)
  })
  t.equal(typed.statusCode, 201, 'the same bodies with their own types are accepted')

  const query = await app.inject({ method: 'GET', url: '/v1/referrals?limit=1', headers: auth(coordinator) })
  t.equal(query.statusCode, 200, 'a number in a query string is read as one')
  t.equal(query.json().data.length, 1)
  const cleared = await app.inject({ method: 'GET', url: '/v1/mentors?cleared=false', headers: auth(coordinator) })
  t.equal(cleared.statusCode, 200, 'so is a boolean')
  const badQuery = await app.inject({ method: 'GET', url: '/v1/referrals?limit=many', headers: auth(coordinator) })
  t.equal(badQuery.statusCode, 400)
  t.equal(badQuery.json().errors[0].path, 'query/limit')
})
