import t from 'tap'
import { referralBody } from '../support/bodies.js'
import { setUp } from '../support/set-up.js'
import { waitUntil } from '../support/time.js'
import { auth } from '../support/tokens.js'

// Distinctive values, so that a match in the logs can only come from this referral.
const PERSON = {
  given_name: 'Zephyrine',
  family_name: 'Quillfeather',
  date_of_birth: '2011-07-19',
  postcode: 'SE9 4QT'
}
const REFERRER_EMAIL = 'priya.lowther@academy.example'
const STATEMENT = 'Struggles with sleep since the bereavement in spring.'
const SECRETS = [
  PERSON.given_name,
  PERSON.family_name,
  PERSON.date_of_birth,
  PERSON.postcode,
  'SE94QT',
  REFERRER_EMAIL,
  STATEMENT,
  'bereavement'
]

function leaks(text: string): string[] {
  return SECRETS.filter((s) => text.toLowerCase().includes(s.toLowerCase()))
}

for (const transport of ['smtp', 'log'] as const) {
  t.test(`no personal data in the API or worker logs (${transport} transport)`, async (t) => {
    const {
      app,
      logs,
      db,
      tenant,
      tokens: { referrer, coordinator },
      worker
    } = await setUp(t, { smtp: transport === 'smtp', worker: true, env: { LOG_LEVEL: 'debug' } })
    const programmeId = await tenant.programme({ eligibility: { min_age: 10, max_age: 19 } })
    const body = referralBody(programmeId, {
      young_person: PERSON,
      referrer: { email: REFERRER_EMAIL },
      needs: { statement: STATEMENT }
    })

    const res = await app.inject({ method: 'POST', url: '/v1/referrals', headers: auth(referrer), payload: body })
    t.equal(res.statusCode, 201)
    const { id } = res.json()
    await waitUntil(
      async () =>
        (await db.selectFrom('notifications').select('status').where('subject_id', '=', id).executeTakeFirst())
          ?.status === 'sent',
      15_000,
      'acknowledgement sent'
    )

    // Free text a coordinator writes can name the young person too.
    const asked = await app.inject({
      method: 'POST',
      url: `/v1/referrals/${id}/request-information`,
      headers: auth(coordinator),
      payload: { questions: `Does ${PERSON.given_name} attend clubs after school?` }
    })
    t.equal(asked.statusCode, 200)
    await waitUntil(
      async () =>
        (await db.selectFrom('notifications').select('id').where('status', '=', 'sent').execute()).length === 2,
      15_000,
      'request sent'
    )

    // Bad input carrying the same values: a 400 (schema), a 400 (malformed JSON), a 422 (rules).
    const invalid = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(referrer),
      payload: referralBody(programmeId, {
        young_person: {
          ...PERSON,
          date_of_birth: `${PERSON.given_name} ${PERSON.family_name}`,
          postcode: `${PERSON.postcode} ${REFERRER_EMAIL}`
        },
        referrer: { email: `${PERSON.family_name}@` },
        needs: { statement: STATEMENT, level: PERSON.given_name }
      })
    })
    t.equal(invalid.statusCode, 400)
    const malformed = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: { ...auth(referrer), 'content-type': 'application/json' },
      payload: `{"young_person": {"given_name": "${PERSON.given_name}", "family_name": "${PERSON.family_name}" ${REFERRER_EMAIL}`
    })
    t.equal(malformed.statusCode, 400)
    const refused = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(referrer),
      payload: referralBody(programmeId, {
        young_person: { ...PERSON, date_of_birth: '2020-01-01' },
        referrer: { email: REFERRER_EMAIL, is_parent_or_carer: true },
        needs: { statement: STATEMENT }
      })
    })
    t.equal(refused.statusCode, 422)
    const badQuery = await app.inject({
      method: 'GET',
      url: `/v1/referrals?status=${encodeURIComponent(PERSON.given_name)}&programme_id=${encodeURIComponent(REFERRER_EMAIL)}`,
      headers: auth(referrer)
    })
    t.equal(badQuery.statusCode, 400)

    await new Promise((r) => setTimeout(r, 200))
    const apiLog = logs.join('')
    const workerLog = worker.logs.text()
    t.ok(apiLog.includes('"level":20') || apiLog.includes('incoming request'), 'the API logged at debug')
    t.ok(workerLog.length > 0, 'the worker logged')
    if (transport === 'log') t.ok(workerLog.includes('email (log transport)'), 'the log transport wrote the messages')
    t.same(leaks(apiLog), [], 'the API log holds none of the personal data')
    t.same(leaks(workerLog), [], 'the worker log holds none of the personal data')
  })
}
