import t from 'tap'
import { referralBody } from '../support/bodies.js'
import { setUp } from '../support/set-up.js'
import { createTenant } from '../support/tenants.js'
import { birthDateForAge, todayLocal } from '../support/time.js'
import { auth } from '../support/tokens.js'
import { addDays } from '../../src/lib/dates.js'

// Programmes configured as the seed schemes describe them.
const BROMLEY = {
  eligibility: { min_age: 10, max_age: 18, education_setting_required: true, postcode_areas: ['BR'] },
  consent: { parental: 'always' }
}
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
const MOTIVATING_YOUNG_MINDS = {
  eligibility: { min_age: 15, max_age: 25, school_years: [11, 12, 13], care_statuses: ['looked_after', 'care_leaver'] },
  consent: { parental: 'never' },
  delivery: { mode: 'virtual' }
}

const codesOf = (res: { json: () => any }): string[] =>
  (res.json().reasons ?? []).map((r: { code: string }) => r.code).sort()

t.test('referral screening', async (t) => {
  const {
    app,
    tenant,
    tokens: { referrer }
  } = await setUp(t)
  const bromley = await tenant.programme(BROMLEY)
  const safeSpace = await tenant.programme(SAFE_SPACE)
  const mym = await tenant.programme(MOTIVATING_YOUNG_MINDS)

  const post = async (body: Record<string, unknown>, token = referrer) =>
    await app.inject({ method: 'POST', url: '/v1/referrals', headers: auth(token), payload: body })

  /** A young person for Safe Space, aged `age` today. */
  const safeSpaceBody = (age: number, youngPerson: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
    referralBody(safeSpace, {
      young_person: { date_of_birth: birthDateForAge(age), school_year: undefined, ...youngPerson },
      ...extra
    })

  t.test('age range: Bromley takes 10 and over', async (t) => {
    const nine = await post(
      referralBody(bromley, { young_person: { date_of_birth: birthDateForAge(9), school_year: 7 } })
    )
    t.equal(nine.statusCode, 422, nine.body)
    t.same(codesOf(nine), ['age_out_of_range'])
    const ten = await post(
      referralBody(bromley, { young_person: { date_of_birth: birthDateForAge(10, -3), school_year: 7 } })
    )
    t.equal(ten.statusCode, 201, ten.body)
    t.equal(ten.json().screening.age_at_referral, 10)
  })

  t.test('birthday exactly today counts; tomorrow does not', async (t) => {
    const today = await post(
      referralBody(bromley, { young_person: { date_of_birth: birthDateForAge(10), school_year: 7 } })
    )
    t.equal(today.statusCode, 201, today.body)
    t.equal(today.json().screening.age_at_referral, 10)
    const tomorrow = await post(
      referralBody(bromley, { young_person: { date_of_birth: birthDateForAge(10, 1), school_year: 7 } })
    )
    t.equal(tomorrow.statusCode, 422, tomorrow.body)
    t.same(codesOf(tomorrow), ['age_out_of_range'])
    t.match(tomorrow.json().reasons[0].message, /is 9/)
  })

  t.test(
    'a 29 February birth date is a real date with the right age; 29 February of a common year is not',
    async (t) => {
      const year = Number.parseInt(todayLocal().slice(0, 4), 10)
      let leapYear = year - 14
      while (!((leapYear % 4 === 0 && leapYear % 100 !== 0) || leapYear % 400 === 0)) leapYear -= 1
      const dob = `${leapYear}-02-29`
      // In a common year the birthday falls after 28 February, i.e. on 1 March.
      const expected = year - leapYear - (todayLocal().slice(5) < '02-29' ? 1 : 0)
      const res = await post(referralBody(safeSpace, { young_person: { date_of_birth: dob } }))
      t.equal(res.statusCode, 201, res.body)
      t.equal(res.json().screening.age_at_referral, expected)
      t.equal(res.json().young_person.date_of_birth, dob)

      const bad = await post(referralBody(safeSpace, { young_person: { date_of_birth: `${leapYear + 1}-02-29` } }))
      t.equal(bad.statusCode, 400, bad.body)
      t.ok(
        bad.json().errors.some((e: { path: string }) => e.path === 'body/young_person/date_of_birth'),
        bad.body
      )
    }
  )

  t.test('Safe Space: 11-19, extended to 25 for care leavers or LDD', async (t) => {
    const ten = await post(safeSpaceBody(10))
    t.equal(ten.statusCode, 422, ten.body)
    t.same(codesOf(ten), ['age_out_of_range'])
    t.equal((await post(safeSpaceBody(11))).statusCode, 201)
    t.equal((await post(safeSpaceBody(19))).statusCode, 201)

    const plain20 = await post(safeSpaceBody(20, { care_status: 'none' }))
    t.equal(plain20.statusCode, 422, plain20.body)
    t.same(codesOf(plain20), ['age_out_of_range'])
    t.match(plain20.json().reasons[0].message, /11 to 19/)

    const careLeaver20 = await post(safeSpaceBody(20, { care_status: 'care_leaver' }))
    t.equal(careLeaver20.statusCode, 201, careLeaver20.body)
    t.equal(careLeaver20.json().screening.outcome, 'eligible')

    const ldd20 = await post(safeSpaceBody(20, { care_status: 'none', has_ldd: true }))
    t.equal(ldd20.statusCode, 201, ldd20.body)

    const lookedAfter20 = await post(safeSpaceBody(20, { care_status: 'looked_after' }))
    t.equal(lookedAfter20.statusCode, 422, 'looked after is not the care-leaver extension')

    t.equal((await post(safeSpaceBody(25, { care_status: 'care_leaver' }))).statusCode, 201)
    const careLeaver26 = await post(safeSpaceBody(26, { care_status: 'care_leaver' }))
    t.equal(careLeaver26.statusCode, 422, careLeaver26.body)
    t.match(careLeaver26.json().reasons[0].message, /11 to 25/)
  })

  t.test('school years: Motivating Young Minds takes Years 11-13 and needs school_year', async (t) => {
    const base = { young_person: { date_of_birth: birthDateForAge(16), care_status: 'looked_after' } }
    const year12 = await post(referralBody(mym, { ...base, young_person: { ...base.young_person, school_year: 12 } }))
    t.equal(year12.statusCode, 201, year12.body)
    const year10 = await post(referralBody(mym, { ...base, young_person: { ...base.young_person, school_year: 10 } }))
    t.equal(year10.statusCode, 422, year10.body)
    t.same(codesOf(year10), ['school_year_not_eligible'])
    const missing = await post(
      referralBody(mym, { ...base, young_person: { ...base.young_person, school_year: undefined } })
    )
    t.equal(missing.statusCode, 422, missing.body)
    t.same(codesOf(missing), ['school_year_missing'])
  })

  t.test('care status: Motivating Young Minds takes looked after or care leavers only', async (t) => {
    const yp = { date_of_birth: birthDateForAge(17), school_year: 13 }
    for (const status of ['looked_after', 'care_leaver']) {
      const res = await post(referralBody(mym, { young_person: { ...yp, care_status: status } }))
      t.equal(res.statusCode, 201, `${status}: ${res.body}`)
    }
    const none = await post(referralBody(mym, { young_person: { ...yp, care_status: 'none' } }))
    t.equal(none.statusCode, 422, none.body)
    t.same(codesOf(none), ['care_status_not_eligible'])
  })

  t.test('parental consent: always', async (t) => {
    const yp = { date_of_birth: birthDateForAge(15), school_year: 10 }
    const without = await post(referralBody(bromley, { young_person: yp, consent: { parental: undefined } }))
    t.equal(without.statusCode, 422, without.body)
    t.same(codesOf(without), ['parental_consent_missing'])
    const refused = await post(referralBody(bromley, { young_person: yp, consent: { parental: { given: false } } }))
    t.equal(refused.statusCode, 422, refused.body)
    t.same(codesOf(refused), ['parental_consent_missing'])
    const given = await post(referralBody(bromley, { young_person: yp }))
    t.equal(given.statusCode, 201, given.body)
  })

  t.test('parental consent: under 13', async (t) => {
    const twelve = await post(safeSpaceBody(12, {}, { consent: { parental: undefined } }))
    t.equal(twelve.statusCode, 422, twelve.body)
    t.same(codesOf(twelve), ['parental_consent_missing'])
    t.match(twelve.json().reasons[0].message, /under 13/)
    const twelveWith = await post(safeSpaceBody(12))
    t.equal(twelveWith.statusCode, 201, twelveWith.body)
    const thirteen = await post(safeSpaceBody(13, {}, { consent: { parental: undefined } }))
    t.equal(thirteen.statusCode, 201, thirteen.body)
    const turnsThirteenTomorrow = await post(
      referralBody(safeSpace, {
        young_person: { date_of_birth: birthDateForAge(13, 1) },
        consent: { parental: undefined }
      })
    )
    t.equal(turnsThirteenTomorrow.statusCode, 422, turnsThirteenTomorrow.body)
  })

  t.test('parental consent: never', async (t) => {
    const res = await post(
      referralBody(mym, {
        young_person: { date_of_birth: birthDateForAge(16), school_year: 12, care_status: 'looked_after' },
        consent: { parental: undefined }
      })
    )
    t.equal(res.statusCode, 201, res.body)
  })

  t.test('the referrer must be a professional, not a parent or carer', async (t) => {
    const res = await post(safeSpaceBody(14, {}, { referrer: { is_parent_or_carer: true } }))
    t.equal(res.statusCode, 422, res.body)
    t.same(codesOf(res), ['referrer_not_professional'])
  })

  t.test('the young person must have agreed', async (t) => {
    const res = await post(safeSpaceBody(14, {}, { consent: { young_person: { given: false } } }))
    t.equal(res.statusCode, 422, res.body)
    t.same(codesOf(res), ['young_person_consent_missing'])
    const missing = await post(safeSpaceBody(14, {}, { consent: { young_person: undefined } }))
    t.equal(missing.statusCode, 400, missing.body)
    t.ok(
      missing.json().errors.some((e: { path: string }) => e.path === 'body/consent/young_person'),
      missing.body
    )
  })

  t.test('excluded risks: refuse, review, allow', async (t) => {
    const cin = await post(safeSpaceBody(14, {}, { risks: { cin_plan: true } }))
    t.equal(cin.statusCode, 422, cin.body)
    t.same(codesOf(cin), ['risk_excluded_cin_plan'])
    const camhs = await post(safeSpaceBody(14, {}, { risks: { specialist_camhs_active: true } }))
    t.equal(camhs.statusCode, 422, camhs.body)
    t.same(codesOf(camhs), ['risk_excluded_specialist_camhs_active'])

    const violence = await post(safeSpaceBody(14, {}, { risks: { history_of_violence: true } }))
    t.equal(violence.statusCode, 201, violence.body)
    t.equal(violence.json().screening.outcome, 'needs_review')
    t.same(
      violence.json().screening.reasons.map((r: { code: string }) => r.code),
      ['risk_review_history_of_violence']
    )
    t.match(violence.json().screening.reasons[0].message, /violent/)

    const cpp = await post(safeSpaceBody(14, {}, { risks: { child_protection_plan: true } }))
    t.equal(cpp.statusCode, 201, cpp.body)
    t.equal(cpp.json().screening.outcome, 'eligible')
    t.same(cpp.json().screening.reasons, [])

    // The same risk the seed refuses is allowed where a programme says so.
    const cinBromley = await post(
      referralBody(bromley, { young_person: { date_of_birth: birthDateForAge(14) }, risks: { cin_plan: true } })
    )
    t.equal(cinBromley.statusCode, 201, cinBromley.body)
    t.equal(cinBromley.json().screening.outcome, 'eligible')
  })

  t.test('needs above the programme level are refused', async (t) => {
    const high = await post(safeSpaceBody(14, {}, { needs: { level: 'high' } }))
    t.equal(high.statusCode, 422, high.body)
    t.same(codesOf(high), ['needs_too_complex'])
    t.equal((await post(safeSpaceBody(14, {}, { needs: { level: 'complex' } }))).statusCode, 422)
    t.equal((await post(safeSpaceBody(14, {}, { needs: { level: 'medium' } }))).statusCode, 201)
    t.equal((await post(safeSpaceBody(14, {}, { needs: { level: 'low' } }))).statusCode, 201)
    // Bromley keeps the default ceiling (high), so high needs pass there.
    t.equal(
      (
        await post(
          referralBody(bromley, { young_person: { date_of_birth: birthDateForAge(14) }, needs: { level: 'high' } })
        )
      ).statusCode,
      201
    )
  })

  t.test('education setting required', async (t) => {
    const res = await post(
      referralBody(bromley, { young_person: { date_of_birth: birthDateForAge(14), education_setting: undefined } })
    )
    t.equal(res.statusCode, 422, res.body)
    t.same(codesOf(res), ['education_setting_missing'])
    // Safe Space does not require one.
    t.equal((await post(safeSpaceBody(14, { education_setting: undefined }))).statusCode, 201)
  })

  t.test('postcode areas', async (t) => {
    const yp = { date_of_birth: birthDateForAge(14) }
    const inArea = await post(referralBody(bromley, { young_person: { ...yp, postcode: 'br66jw' } }))
    t.equal(inArea.statusCode, 201, inArea.body)
    t.equal(inArea.json().young_person.postcode, 'BR6 6JW')
    const outside = await post(referralBody(bromley, { young_person: { ...yp, postcode: 'SE1 7PB' } }))
    t.equal(outside.statusCode, 422, outside.body)
    t.same(codesOf(outside), ['outside_area'])
    // "B" (Birmingham) is not "BR".
    const birmingham = await post(referralBody(bromley, { young_person: { ...yp, postcode: 'B1 1AA' } }))
    t.equal(birmingham.statusCode, 422, birmingham.body)

    const district = await tenant.programme({
      eligibility: { postcode_areas: ['BR1'] },
      consent: { parental: 'never' }
    })
    t.equal((await post(referralBody(district, { young_person: { ...yp, postcode: 'BR1 3AB' } }))).statusCode, 201)
    t.equal((await post(referralBody(district, { young_person: { ...yp, postcode: 'BR2 9AA' } }))).statusCode, 422)
  })

  t.test('a future date of birth is bad input naming the field', async (t) => {
    const res = await post(safeSpaceBody(14, { date_of_birth: addDays(todayLocal(), 1) }))
    t.equal(res.statusCode, 400, res.body)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.same(
      res.json().errors.map((e: { path: string }) => e.path),
      ['body/young_person/date_of_birth']
    )
    const consent = await post(
      safeSpaceBody(14, {}, { consent: { young_person: { recorded_on: addDays(todayLocal(), 2) } } })
    )
    t.equal(consent.statusCode, 400, consent.body)
    t.same(
      consent.json().errors.map((e: { path: string }) => e.path),
      ['body/consent/young_person/recorded_on']
    )
  })

  t.test('an inactive programme takes no referrals', async (t) => {
    const inactive = await tenant.programme(SAFE_SPACE, { active: false })
    const res = await post(referralBody(inactive, { young_person: { date_of_birth: birthDateForAge(14) } }))
    t.equal(res.statusCode, 422, res.body)
    t.same(codesOf(res), ['programme_inactive'])
  })

  t.test("another organisation's programme is refused (422) naming programme_id, as an unknown one is", async (t) => {
    const other = await createTenant(app)
    const theirs = await other.programme(SAFE_SPACE)
    const res = await post(safeSpaceBody(14, {}, { programme_id: theirs }))
    t.equal(res.statusCode, 422, res.body)
    t.equal(res.json().code, 'unknown_reference')
    t.same(
      res.json().errors.map((e: { path: string }) => e.path),
      ['body/programme_id']
    )
    t.same(res.json().reasons, [
      { code: 'unknown_reference', message: 'programme_id is not a programme of your organisation' }
    ])
    t.notMatch(res.body, theirs, 'does not echo whether it exists elsewhere')
    const unknown = await post(safeSpaceBody(14, {}, { programme_id: '00000000-0000-4000-8000-000000000000' }))
    t.equal(unknown.statusCode, 422, unknown.body)
    const { request_id: _a, ...a } = res.json()
    const { request_id: _b, ...b } = unknown.json()
    t.same(a, b, "the same answer for another organisation's id and a random one")
  })

  t.test('several failures come back together in one 422', async (t) => {
    const res = await post(
      safeSpaceBody(
        22,
        { care_status: 'none' },
        {
          referrer: { is_parent_or_carer: true },
          consent: { young_person: { given: false } },
          risks: { cin_plan: true, specialist_camhs_active: true, history_of_violence: true },
          needs: { level: 'complex' }
        }
      )
    )
    t.equal(res.statusCode, 422, res.body)
    t.equal(res.json().code, 'referral_refused')
    t.same(codesOf(res), [
      'age_out_of_range',
      'needs_too_complex',
      'referrer_not_professional',
      'risk_excluded_cin_plan',
      'risk_excluded_specialist_camhs_active',
      'young_person_consent_missing'
    ])
    for (const r of res.json().reasons) t.ok(r.message.length > 10, `${r.code} explains itself`)
  })
})
