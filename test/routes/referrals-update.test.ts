import t from 'tap'
import { referralBody } from '../support/bodies.js'
import { setUp } from '../support/set-up.js'
import { birthDateForAge, todayLocal } from '../support/time.js'
import { auth } from '../support/tokens.js'
import { addDays } from '../../src/lib/dates.js'

const SAFE_SPACE = {
  eligibility: { min_age: 11, max_age: 19, extended_max_age: 25, extended_if: ['care_leaver', 'ldd'] },
  consent: { parental: { under_age: 13 } },
  exclusions: {
    cin_plan: 'refuse',
    specialist_camhs_active: 'refuse',
    history_of_violence: 'review',
    max_needs_level: 'medium'
  }
}

t.test('updating a referral', async (t) => {
  const {
    app,
    tenant,
    tokens: { referrer, coordinator }
  } = await setUp(t)
  const programme = await tenant.programme(SAFE_SPACE)

  const create = async (overrides: Record<string, unknown> = {}, programmeId = programme) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(referrer),
      payload: referralBody(programmeId, overrides)
    })
    if (res.statusCode !== 201) throw new Error(res.body)
    return res.json() as { id: string; young_person: Record<string, unknown>; risks: Record<string, unknown> }
  }
  const get = async (id: string, token = coordinator) =>
    await app.inject({ method: 'GET', url: `/v1/referrals/${id}`, headers: auth(token) })
  const patch = async (id: string, payload: unknown, headers: Record<string, string> = {}, token = referrer) =>
    await app.inject({
      method: 'PATCH',
      url: `/v1/referrals/${id}`,
      headers: { ...auth(token), ...headers },
      payload: payload as Record<string, unknown>
    })

  t.test('screening runs again on every update', async (t) => {
    const r = await create()
    const toReview = await patch(r.id, { risks: { history_of_violence: true } })
    t.equal(toReview.statusCode, 200, toReview.body)
    t.equal(toReview.json().screening.outcome, 'needs_review')
    t.same(
      toReview.json().screening.reasons.map((x: { code: string }) => x.code),
      ['risk_review_history_of_violence']
    )
    t.same(toReview.json().risks, { history_of_violence: true }, 'risks are replaced whole')

    const back = await patch(r.id, { risks: {} })
    t.equal(back.statusCode, 200, back.body)
    t.equal(back.json().screening.outcome, 'eligible')

    const older = await patch(r.id, {
      young_person: { ...r.young_person, date_of_birth: birthDateForAge(12) },
      consent: { young_person: { given: true, recorded_on: todayLocal(), recorded_by: 'Sam Teacher' } }
    })
    t.equal(older.statusCode, 422, 'under 13 now needs the parental consent this patch removed')
    t.same(
      older.json().reasons.map((x: { code: string }) => x.code),
      ['parental_consent_missing']
    )
  })

  t.test('an update that breaks a hard rule is refused and changes nothing', async (t) => {
    const r = await create()
    const before = await get(r.id)
    const refused = await patch(r.id, { risks: { cin_plan: true } })
    t.equal(refused.statusCode, 422, refused.body)
    t.same(
      refused.json().reasons.map((x: { code: string }) => x.code),
      ['risk_excluded_cin_plan']
    )
    const tooOld = await patch(r.id, { young_person: { ...r.young_person, date_of_birth: birthDateForAge(21) } })
    t.equal(tooOld.statusCode, 422, tooOld.body)
    t.same(
      tooOld.json().reasons.map((x: { code: string }) => x.code),
      ['age_out_of_range']
    )

    const after = await get(r.id)
    t.equal(after.headers.etag, before.headers.etag, 'same ETag')
    t.same(after.json().risks, before.json().risks)
    t.equal(after.json().young_person.date_of_birth, before.json().young_person.date_of_birth)
    t.same(after.json().screening, before.json().screening)
    t.equal(after.json().updated_at, before.json().updated_at)
  })

  t.test('bad input names the field', async (t) => {
    const r = await create()
    const empty = await patch(r.id, {})
    t.equal(empty.statusCode, 400, empty.body)
    const unknown = await patch(r.id, { status: 'accepted' })
    t.equal(unknown.statusCode, 400, unknown.body)
    t.same(
      unknown.json().errors.map((e: { path: string }) => e.path),
      ['body/status']
    )
    const future = await patch(r.id, { young_person: { ...r.young_person, date_of_birth: addDays(todayLocal(), 3) } })
    t.equal(future.statusCode, 400, future.body)
    t.same(
      future.json().errors.map((e: { path: string }) => e.path),
      ['body/young_person/date_of_birth']
    )
    const partial = await patch(r.id, { young_person: { given_name: 'Only' } })
    t.equal(partial.statusCode, 400, 'a young person is replaced whole, so its required fields are required')
    t.ok(
      partial.json().errors.some((e: { path: string }) => e.path === 'body/young_person/date_of_birth'),
      partial.body
    )
    t.equal((await get(r.id)).json().young_person.given_name, 'Amara')
  })

  t.test('ETag changes with every change; If-Match is honoured', async (t) => {
    const r = await create()
    const first = await get(r.id)
    const etag1 = first.headers.etag as string
    t.match(etag1, /^"[^"]+"$/)

    const ok = await patch(r.id, { preferences: { mentor_gender: 'male' } }, { 'if-match': etag1 })
    t.equal(ok.statusCode, 200, ok.body)
    const etag2 = ok.headers.etag as string
    t.not(etag2, etag1)
    t.equal((await get(r.id)).headers.etag, etag2, 'GET agrees with the PATCH response')

    const stale = await patch(r.id, { preferences: { mentor_gender: 'female' } }, { 'if-match': etag1 })
    t.equal(stale.statusCode, 412, stale.body)
    t.equal(stale.json().code, 'precondition_failed')
    t.equal(stale.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.equal((await get(r.id)).json().preferences.mentor_gender, 'male', 'the stale write changed nothing')

    const weak = await patch(r.id, { preferences: { mentor_gender: 'female' } }, { 'if-match': `W/${etag2}` })
    t.equal(weak.statusCode, 200, weak.body)
    const etag3 = weak.headers.etag as string
    t.not(etag3, etag2)

    const star = await patch(r.id, { preferences: { mentor_gender: 'no_preference' } }, { 'if-match': '*' })
    t.equal(star.statusCode, 200, star.body)
    const etag4 = star.headers.etag as string
    t.not(etag4, etag3)

    const none = await patch(r.id, { other_services: ['Early help'] })
    t.equal(none.statusCode, 200, 'without If-Match the update goes ahead')
    t.not(none.headers.etag, etag4)

    // A state change is a change too, and actions honour If-Match as well.
    const before = (await get(r.id)).headers.etag as string
    const staleAction = await app.inject({
      method: 'POST',
      url: `/v1/referrals/${r.id}/start-review`,
      headers: { ...auth(coordinator), 'if-match': etag1 },
      payload: {}
    })
    t.equal(staleAction.statusCode, 412, staleAction.body)
    const reviewed = await app.inject({
      method: 'POST',
      url: `/v1/referrals/${r.id}/start-review`,
      headers: { ...auth(coordinator), 'if-match': before },
      payload: {}
    })
    t.equal(reviewed.statusCode, 200, reviewed.body)
    t.not(reviewed.headers.etag, before)
    t.equal((await get(r.id)).headers.etag, reviewed.headers.etag)
  })

  t.test('a stale If-Match is refused before any rule is checked', async (t) => {
    const r = await create()
    const etag = (await get(r.id)).headers.etag as string
    t.equal((await patch(r.id, { other_services: ['A'] })).statusCode, 200)
    const res = await patch(r.id, { risks: { cin_plan: true } }, { 'if-match': etag })
    t.equal(res.statusCode, 412, res.body)
  })

  t.test("changing the referrer's email checks that referrer's quota", async (t) => {
    const limited = await tenant.programme({ ...SAFE_SPACE, quotas: { per_referrer: 2 } })
    const full = 'full@school.example'
    await create({ referrer: { email: full } }, limited)
    await create({ referrer: { email: full } }, limited)
    const r = await create({ referrer: { email: 'free@school.example' } }, limited)
    const moved = await patch(r.id, { referrer: { ...(await get(r.id)).json().referrer, email: full } })
    t.equal(moved.statusCode, 409, moved.body)
    t.same(
      moved.json().reasons.map((x: { code: string }) => x.code),
      ['quota_per_referrer']
    )
    t.equal((await get(r.id)).json().referrer.email, 'free@school.example')
    // Editing other details of a referral at the limit is fine: it does not count itself.
    const own = await patch(r.id, { needs: { areas: ['confidence'], level: 'low', statement: 'Doing better.' } })
    t.equal(own.statusCode, 200, own.body)
  })
})
