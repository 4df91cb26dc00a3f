import t from 'tap'
import { randomUUID } from 'node:crypto'
import { setUp } from '../support/set-up.js'
import { createTenant } from '../support/tenants.js'
import { auth } from '../support/tokens.js'

const SAFE_SPACE_RULES = {
  eligibility: { min_age: 11, max_age: 19, extended_max_age: 25, extended_if: ['care_leaver', 'ldd'] },
  consent: { parental: { under_age: 13 } },
  exclusions: {
    cin_plan: 'refuse',
    specialist_camhs_active: 'refuse',
    history_of_violence: 'review',
    max_needs_level: 'medium'
  },
  quotas: { per_referrer: 2, per_education_setting: 2, per_team: 5 },
  duration_months: 6
}

t.test('programmes', async (t) => {
  const {
    app,
    tenant,
    other,
    tokens: { admin }
  } = await setUp(t, { other: true })

  const create = async (payload: Record<string, unknown>, token = admin) =>
    await app.inject({ method: 'POST', url: '/v1/programmes', headers: auth(token), payload })
  const errorPaths = (res: { json: () => any }): string[] =>
    (res.json().errors ?? []).map((e: { path: string }) => e.path)

  t.test('an admin creates a programme; every default is filled in', async (t) => {
    const res = await create({ name: 'Bromley Mentoring', kind: 'mentoring', rules: {} })
    t.equal(res.statusCode, 201, res.body)
    const p = res.json()
    t.equal(res.headers.location, `/v1/programmes/${p.id}`)
    t.ok(res.headers.etag)
    t.equal(p.organisation_id, tenant.orgId)
    t.equal(p.active, true)
    t.equal(p.description, null)
    t.match(p.rules, {
      eligibility: { min_age: 10, max_age: 25, extended_if: [], education_setting_required: false },
      consent: { parental: 'always' },
      exclusions: {
        cin_plan: 'allow',
        child_protection_plan: 'allow',
        specialist_camhs_active: 'allow',
        history_of_violence: 'allow',
        max_needs_level: 'high'
      },
      quotas: {},
      delivery: { mode: 'in_person', session_minutes: 60, sessions_per_month: 4 },
      duration_months: 12,
      evaluation_interval_months: 12,
      mentor_requirements: {
        dbs_renewal_months: 36,
        safeguarding_training_valid_months: 12,
        references_required: 2,
        independent_of_care_system: false
      },
      matching: { weights: { interests: 3, culture: 2, language: 2, experience: 3, distance: 2, availability: 1 } }
    })
    t.ok(p.created_at && p.updated_at)

    const safeSpace = await create({
      name: 'Safe Space',
      kind: 'mentoring',
      description: 'Hertfordshire',
      rules: SAFE_SPACE_RULES
    })
    t.equal(safeSpace.statusCode, 201, safeSpace.body)
    t.match(safeSpace.json().rules, { ...SAFE_SPACE_RULES, consent: { parental: { under_age: 13 } } })
    t.equal(safeSpace.json().rules.exclusions.child_protection_plan, 'allow', 'unset parts still get defaults')
    t.equal(safeSpace.json().rules.delivery.mode, 'in_person')

    const got = await app.inject({ method: 'GET', url: `/v1/programmes/${safeSpace.json().id}`, headers: auth(admin) })
    t.same(got.json().rules, safeSpace.json().rules, 'stored as returned')
  })

  t.test('rules are validated, naming the field', async (t) => {
    const minOverMax = await create({
      name: 'Bad ages',
      kind: 'mentoring',
      rules: { eligibility: { min_age: 20, max_age: 12 } }
    })
    t.equal(minOverMax.statusCode, 400, minOverMax.body)
    t.same(errorPaths(minOverMax), ['body/rules/eligibility/min_age'])

    const extendedBelow = await create({
      name: 'Bad extension',
      kind: 'mentoring',
      rules: { eligibility: { max_age: 19, extended_max_age: 15, extended_if: ['ldd'] } }
    })
    t.equal(extendedBelow.statusCode, 400, extendedBelow.body)
    t.same(errorPaths(extendedBelow), ['body/rules/eligibility/extended_max_age'])

    const extendedWithoutWhen = await create({
      name: 'Bad extension',
      kind: 'mentoring',
      rules: { eligibility: { max_age: 19, extended_max_age: 25 } }
    })
    t.equal(extendedWithoutWhen.statusCode, 400, extendedWithoutWhen.body)
    t.same(errorPaths(extendedWithoutWhen), ['body/rules/eligibility/extended_if'])

    const unknownTop = await create({ name: 'Unknown', kind: 'mentoring', rules: { favourite_colour: 'blue' } })
    t.equal(unknownTop.statusCode, 400, unknownTop.body)
    t.same(errorPaths(unknownTop), ['body/rules/favourite_colour'])

    const unknownNested = await create({
      name: 'Unknown',
      kind: 'mentoring',
      rules: { exclusions: { gang_affiliation: 'refuse' } }
    })
    t.equal(unknownNested.statusCode, 400, unknownNested.body)
    t.same(errorPaths(unknownNested), ['body/rules/exclusions/gang_affiliation'])

    const badEnum = await create({ name: 'Enum', kind: 'mentoring', rules: { exclusions: { cin_plan: 'maybe' } } })
    t.equal(badEnum.statusCode, 400, badEnum.body)
    t.ok(errorPaths(badEnum).includes('body/rules/exclusions/cin_plan'), badEnum.body)

    const badConsent = await create({
      name: 'Consent',
      kind: 'mentoring',
      rules: { consent: { parental: 'sometimes' } }
    })
    t.equal(badConsent.statusCode, 400, badConsent.body)
    t.ok(
      errorPaths(badConsent).every((p) => p.startsWith('body/rules/consent/parental')),
      badConsent.body
    )

    const zeroQuota = await create({ name: 'Quota', kind: 'mentoring', rules: { quotas: { per_referrer: 0 } } })
    t.equal(zeroQuota.statusCode, 400, zeroQuota.body)
    t.same(errorPaths(zeroQuota), ['body/rules/quotas/per_referrer'])

    const badKind = await create({ name: 'Kind', kind: 'tutoring', rules: {} })
    t.equal(badKind.statusCode, 400, badKind.body)
    t.same(errorPaths(badKind), ['body/kind'])

    const noName = await create({ kind: 'mentoring', rules: {} })
    t.equal(noName.statusCode, 400)
    t.same(errorPaths(noName), ['body/name'])

    const list = await app.inject({ method: 'GET', url: '/v1/programmes?limit=200', headers: auth(admin) })
    t.notOk(
      list.json().data.some((p: { name: string }) => ['Bad ages', 'Unknown', 'Enum'].includes(p.name)),
      'nothing refused was stored'
    )
  })

  t.test('Idempotency-Key: a retry creates nothing; another body with the key is refused', async (t) => {
    const fresh = await createTenant(app)
    const freshAdmin = fresh.token('admin', { sub: 'admin-idem' })
    const key = randomUUID()
    const payload = { name: 'Pure Insight', kind: 'mentoring', rules: { duration_months: 24 } }
    const post = async (body: Record<string, unknown>, token = freshAdmin) =>
      await app.inject({
        method: 'POST',
        url: '/v1/programmes',
        headers: { ...auth(token), 'idempotency-key': key },
        payload: body
      })
    const first = await post(payload)
    t.equal(first.statusCode, 201, first.body)
    const again = await post(payload)
    t.equal(again.statusCode, 201, again.body)
    t.same(again.json(), first.json())
    t.equal(again.headers.etag, first.headers.etag)
    const list = await app.inject({ method: 'GET', url: '/v1/programmes', headers: auth(freshAdmin) })
    t.equal(list.json().data.length, 1, 'one programme')
    const other = await post({ ...payload, name: 'Something else' })
    t.equal(other.statusCode, 422, other.body)
    t.equal(other.json().code, 'idempotency_key_reused')
    const anotherAdmin = await post(
      { ...payload, name: 'Pure Insight North' },
      fresh.token('admin', { sub: 'admin-two' })
    )
    t.equal(anotherAdmin.statusCode, 201, 'another caller has its own keys')
    t.not(anotherAdmin.json().id, first.json().id)
  })

  t.test('only an admin writes programmes', async (t) => {
    for (const role of ['coordinator', 'referrer', 'integration'] as const) {
      const res = await create({ name: 'Not allowed', kind: 'mentoring', rules: {} }, tenant.token(role))
      t.equal(res.statusCode, 403, `${role}: ${res.body}`)
      t.equal(res.json().code, 'forbidden')
    }
    const mentor = await create(
      { name: 'Not allowed', kind: 'mentoring', rules: {} },
      tenant.token('mentor', { mentorId: randomUUID() })
    )
    t.equal(mentor.statusCode, 403)
    const platform = await create(
      { name: 'Not allowed', kind: 'mentoring', rules: {} },
      tenant.token('platform_admin', { org: null })
    )
    t.equal(platform.statusCode, 403)

    const p = (await create({ name: 'Mine', kind: 'mentoring', rules: {} })).json()
    const patch = await app.inject({
      method: 'PATCH',
      url: `/v1/programmes/${p.id}`,
      headers: auth(tenant.token('coordinator')),
      payload: { name: 'Renamed' }
    })
    t.equal(patch.statusCode, 403, patch.body)
  })

  t.test('PATCH honours If-Match and re-validates rules', async (t) => {
    const created = await create({
      name: 'Motivating Young Minds',
      kind: 'mentoring',
      rules: { eligibility: { school_years: [11, 12, 13] } }
    })
    const id = created.json().id as string
    const etag1 = created.headers.etag as string
    const url = `/v1/programmes/${id}`

    const renamed = await app.inject({
      method: 'PATCH',
      url,
      headers: { ...auth(admin), 'if-match': etag1 },
      payload: { name: 'MYM', description: 'Virtual, Years 11-13' }
    })
    t.equal(renamed.statusCode, 200, renamed.body)
    t.equal(renamed.json().name, 'MYM')
    t.same(renamed.json().rules.eligibility.school_years, [11, 12, 13], 'rules untouched when not sent')
    const etag2 = renamed.headers.etag as string
    t.not(etag2, etag1)

    const stale = await app.inject({
      method: 'PATCH',
      url,
      headers: { ...auth(admin), 'if-match': etag1 },
      payload: { name: 'Stale' }
    })
    t.equal(stale.statusCode, 412, stale.body)
    t.equal(stale.json().code, 'precondition_failed')
    t.equal((await app.inject({ method: 'GET', url, headers: auth(admin) })).json().name, 'MYM')

    const star = await app.inject({
      method: 'PATCH',
      url,
      headers: { ...auth(admin), 'if-match': '*' },
      payload: { active: false }
    })
    t.equal(star.statusCode, 200, star.body)
    t.equal(star.json().active, false)
    t.not(star.headers.etag, etag2)

    const rules = await app.inject({
      method: 'PATCH',
      url,
      headers: auth(admin),
      payload: { rules: { eligibility: { min_age: 15, max_age: 25, care_statuses: ['looked_after', 'care_leaver'] } } }
    })
    t.equal(rules.statusCode, 200, rules.body)
    t.same(rules.json().rules.eligibility.care_statuses, ['looked_after', 'care_leaver'])
    t.equal(rules.json().rules.eligibility.school_years, undefined, 'rules are replaced whole')
    t.equal(rules.json().rules.consent.parental, 'always', 'with defaults filled in again')

    const bad = await app.inject({
      method: 'PATCH',
      url,
      headers: auth(admin),
      payload: { rules: { eligibility: { min_age: 22, max_age: 21 } } }
    })
    t.equal(bad.statusCode, 400, bad.body)
    t.same(errorPaths(bad), ['body/rules/eligibility/min_age'])
    const empty = await app.inject({ method: 'PATCH', url, headers: auth(admin), payload: {} })
    t.equal(empty.statusCode, 400)
    const unknown = await app.inject({
      method: 'PATCH',
      url,
      headers: auth(admin),
      payload: { organisation_id: other.orgId }
    })
    t.equal(unknown.statusCode, 400)
    t.same(errorPaths(unknown), ['body/organisation_id'])
    t.equal((await app.inject({ method: 'GET', url, headers: auth(admin) })).json().rules.eligibility.min_age, 15)
  })

  t.test('every role of the organisation reads programmes', async (t) => {
    const p = (await create({ name: 'Readable', kind: 'befriending', rules: {} })).json()
    const roles = [
      ['admin', admin],
      ['coordinator', tenant.token('coordinator')],
      ['referrer', tenant.token('referrer')],
      ['integration', tenant.token('integration')],
      ['mentor', tenant.token('mentor', { mentorId: randomUUID() })]
    ] as const
    for (const [role, token] of roles) {
      const one = await app.inject({ method: 'GET', url: `/v1/programmes/${p.id}`, headers: auth(token) })
      t.equal(one.statusCode, 200, `${role}: ${one.body}`)
      t.equal(one.json().name, 'Readable')
      t.ok(one.headers.etag)
      const list = await app.inject({ method: 'GET', url: '/v1/programmes?limit=200', headers: auth(token) })
      t.equal(list.statusCode, 200, role)
      t.ok(
        list.json().data.some((x: { id: string }) => x.id === p.id),
        role
      )
    }
    const platform = await app.inject({
      method: 'GET',
      url: '/v1/programmes',
      headers: auth(tenant.token('platform_admin', { org: null }))
    })
    t.equal(platform.statusCode, 403)
  })

  t.test('active filter and pagination', async (t) => {
    const fresh = await createTenant(app)
    const freshAdmin = fresh.token('admin')
    for (let i = 0; i < 5; i += 1) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/programmes',
        headers: auth(freshAdmin),
        payload: { name: `P${i}`, kind: 'mentoring', active: i % 2 === 0, rules: {} }
      })
      t.equal(res.statusCode, 201)
    }
    const active = await app.inject({ method: 'GET', url: '/v1/programmes?active=true', headers: auth(freshAdmin) })
    t.same(
      active
        .json()
        .data.map((p: { name: string }) => p.name)
        .sort(),
      ['P0', 'P2', 'P4']
    )
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res: { statusCode: number; body: string; json: () => any } = await app.inject({
        method: 'GET',
        url: `/v1/programmes?limit=2${cursor !== null ? `&cursor=${cursor}` : ''}`,
        headers: auth(freshAdmin)
      })
      t.equal(res.statusCode, 200, res.body)
      seen.push(...res.json().data.map((p: { name: string }) => p.name))
      cursor = res.json().next_cursor
    } while (cursor !== null)
    t.same(seen, ['P4', 'P3', 'P2', 'P1', 'P0'], 'newest first, each once')
    t.equal(
      (await app.inject({ method: 'GET', url: '/v1/programmes?limit=0', headers: auth(freshAdmin) })).statusCode,
      400
    )
  })

  t.test("another organisation's programme is 404", async (t) => {
    const theirs = await other.programme({})
    const get = await app.inject({ method: 'GET', url: `/v1/programmes/${theirs}`, headers: auth(admin) })
    t.equal(get.statusCode, 404, get.body)
    const patch = await app.inject({
      method: 'PATCH',
      url: `/v1/programmes/${theirs}`,
      headers: auth(admin),
      payload: { name: 'Taken over' }
    })
    t.equal(patch.statusCode, 404, patch.body)
    const list = await app.inject({ method: 'GET', url: '/v1/programmes?limit=200', headers: auth(admin) })
    t.notOk(list.json().data.some((p: { id: string }) => p.id === theirs))
    const theirsNow = await app.inject({
      method: 'GET',
      url: `/v1/programmes/${theirs}`,
      headers: auth(other.token('admin'))
    })
    t.equal(theirsNow.statusCode, 200)
    t.not(theirsNow.json().name, 'Taken over')
    t.equal(
      (await app.inject({ method: 'GET', url: '/v1/programmes/not-a-uuid', headers: auth(admin) })).statusCode,
      400
    )
  })
})
