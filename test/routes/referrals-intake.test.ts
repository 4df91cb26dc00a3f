import t from 'tap'
import { referralBody } from '../support/bodies.js'
import { setUp } from '../support/set-up.js'
import { auth } from '../support/tokens.js'

t.test('referral intake', async (t) => {
  const {
    app,
    tenant,
    tokens: { referrer }
  } = await setUp(t, { code: 'BMI' })
  const programmeId = await tenant.programme()

  t.test('creates a referral with a reference and screening', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(referrer),
      payload: referralBody(programmeId)
    })
    t.equal(res.statusCode, 201, res.body)
    const body = res.json()
    t.match(body.reference, /^BMI-\d{4}-\d{5}$/)
    t.equal(body.status, 'submitted')
    t.equal(body.screening.outcome, 'eligible')
    t.equal(body.young_person.postcode, 'BR1 3AB')
    const got = await app.inject({ method: 'GET', url: `/v1/referrals/${body.id}`, headers: auth(referrer) })
    t.equal(got.statusCode, 200, got.body)
    t.ok(got.headers.etag)
  })

  t.test('refuses with every reason at once', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(referrer),
      payload: referralBody(programmeId, {
        referrer: { is_parent_or_carer: true },
        consent: { young_person: { given: false }, parental: undefined }
      })
    })
    t.equal(res.statusCode, 422, res.body)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    const codes = res
      .json()
      .reasons.map((r: { code: string }) => r.code)
      .sort()
    t.same(codes, ['parental_consent_missing', 'referrer_not_professional', 'young_person_consent_missing'])
  })

  t.test('bad input names the field', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(referrer),
      payload: referralBody(programmeId, { young_person: { date_of_birth: '2012-02-30', postcode: 'nope' }, extra: 1 })
    })
    t.equal(res.statusCode, 400, res.body)
    const paths = res.json().errors.map((e: { path: string }) => e.path)
    t.ok(paths.includes('body/young_person/date_of_birth'), paths.join())
    t.ok(paths.includes('body/young_person/postcode'), paths.join())
    t.ok(paths.includes('body/extra'), paths.join())
  })
})
