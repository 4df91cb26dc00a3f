import t from 'tap'
import { randomUUID } from 'node:crypto'
import { referralBody } from '../support/bodies.js'
import { vettedMentor } from '../support/mentors.js'
import { setUp } from '../support/set-up.js'
import { todayLocal } from '../support/time.js'
import { auth } from '../support/tokens.js'
import { addDays } from '../../src/lib/dates.js'

const quotaCodes = (res: { json: () => any }): string[] =>
  (res.json().reasons ?? []).map((r: { code: string }) => r.code).sort()

t.test('referral quotas', async (t) => {
  const {
    app,
    tenant,
    tokens: { referrer, coordinator, admin }
  } = await setUp(t)

  const post = async (body: Record<string, unknown>, token = referrer) =>
    await app.inject({ method: 'POST', url: '/v1/referrals', headers: auth(token), payload: body })
  const act = async (id: string, action: string, payload: Record<string, unknown> = {}, token = coordinator) =>
    await app.inject({ method: 'POST', url: `/v1/referrals/${id}/${action}`, headers: auth(token), payload })

  /** A referral body whose quota keys are all unique unless set. */
  let n = 0
  const body = (
    programmeId: string,
    keys: {
      email?: string
      urn?: string | null
      settingName?: string
      team?: string | null
      organisation?: string
    } = {}
  ) => {
    n += 1
    const setting =
      keys.urn === null
        ? { name: keys.settingName ?? `School ${n}-${randomUUID().slice(0, 6)}`, urn: undefined }
        : {
            name: keys.settingName ?? `School ${n}`,
            urn: keys.urn ?? String(100000 + Math.floor(Math.random() * 899999))
          }
    return referralBody(programmeId, {
      young_person: { education_setting: setting },
      referrer: {
        email: keys.email ?? `referrer-${n}-${randomUUID().slice(0, 6)}@school.example`,
        organisation: keys.organisation ?? `Org ${n}-${randomUUID().slice(0, 6)}`,
        team: keys.team === null ? undefined : (keys.team ?? `Team ${n}`)
      }
    })
  }

  t.test('per referrer: at most 2 open at a time (same email, any case)', async (t) => {
    const p = await tenant.programme({ quotas: { per_referrer: 2 } })
    t.equal((await post(body(p, { email: 'pat.jones@school.example' }))).statusCode, 201)
    t.equal((await post(body(p, { email: 'Pat.Jones@School.example' }))).statusCode, 201)
    const third = await post(body(p, { email: ' pat.jones@school.example'.trim() }))
    t.equal(third.statusCode, 409, third.body)
    t.equal(third.json().code, 'quota_reached')
    t.same(quotaCodes(third), ['quota_per_referrer'])
    t.equal(
      (await post(body(p, { email: 'someone.else@school.example' }))).statusCode,
      201,
      'another referrer is unaffected'
    )
    // Another programme counts on its own.
    const other = await tenant.programme({ quotas: { per_referrer: 2 } })
    t.equal((await post(body(other, { email: 'pat.jones@school.example' }))).statusCode, 201)
  })

  t.test('per education setting: by urn, or by name when there is no urn', async (t) => {
    const p = await tenant.programme({ quotas: { per_education_setting: 2 } })
    t.equal((await post(body(p, { urn: '136789', settingName: 'Hayes School' }))).statusCode, 201)
    t.equal((await post(body(p, { urn: '136789', settingName: 'The Hayes School' }))).statusCode, 201)
    const third = await post(body(p, { urn: '136789' }))
    t.equal(third.statusCode, 409, third.body)
    t.same(quotaCodes(third), ['quota_per_education_setting'])

    t.equal((await post(body(p, { urn: null, settingName: 'Bromley College' }))).statusCode, 201)
    t.equal((await post(body(p, { urn: null, settingName: '  bromley   COLLEGE ' }))).statusCode, 201)
    const byName = await post(body(p, { urn: null, settingName: 'Bromley College' }))
    t.equal(byName.statusCode, 409, byName.body)
    t.same(quotaCodes(byName), ['quota_per_education_setting'])
    t.equal((await post(body(p, { urn: null, settingName: 'Orpington College' }))).statusCode, 201)
  })

  t.test('per team: at most 5 open per district team or service', async (t) => {
    const p = await tenant.programme({ quotas: { per_team: 5, per_referrer: 2, per_education_setting: 2 } })
    for (let i = 0; i < 5; i += 1) {
      const res = await post(body(p, { organisation: 'Hertfordshire CC', team: 'Stevenage Family Support' }))
      t.equal(res.statusCode, 201, res.body)
    }
    const sixth = await post(body(p, { organisation: 'hertfordshire cc', team: 'Stevenage  family support' }))
    t.equal(sixth.statusCode, 409, sixth.body)
    t.same(quotaCodes(sixth), ['quota_per_team'])
    t.equal(
      (await post(body(p, { organisation: 'Hertfordshire CC', team: 'Watford Family Support' }))).statusCode,
      201,
      'another team is unaffected'
    )
    t.equal(
      (await post(body(p, { organisation: 'Hertfordshire CC', team: null }))).statusCode,
      201,
      'no team, no team quota'
    )
  })

  t.test('every quota reached is named at once', async (t) => {
    const p = await tenant.programme({ quotas: { per_referrer: 1, per_education_setting: 1, per_team: 1 } })
    const keys = { email: 'all@school.example', urn: '555555', organisation: 'Same', team: 'Same' }
    t.equal((await post(body(p, keys))).statusCode, 201)
    const res = await post(body(p, keys))
    t.equal(res.statusCode, 409, res.body)
    t.same(quotaCodes(res), ['quota_per_education_setting', 'quota_per_referrer', 'quota_per_team'])
  })

  t.test('declined and withdrawn referrals free a slot', async (t) => {
    const p = await tenant.programme({ quotas: { per_referrer: 2 } })
    const email = 'frees@school.example'
    const a = (await post(body(p, { email }))).json()
    const b = (await post(body(p, { email }))).json()
    t.equal((await post(body(p, { email }))).statusCode, 409)

    t.equal((await act(a.id, 'decline', { reason_code: 'better_served_elsewhere' })).statusCode, 200)
    const c = await post(body(p, { email }))
    t.equal(c.statusCode, 201, c.body)
    t.equal((await post(body(p, { email }))).statusCode, 409)

    t.equal((await act(b.id, 'withdraw', { reason: 'Family moved away' }, referrer)).statusCode, 200)
    t.equal((await post(body(p, { email }))).statusCode, 201)
    t.equal((await post(body(p, { email }))).statusCode, 409)
  })

  t.test('accepted referrals still hold their slot', async (t) => {
    const p = await tenant.programme({ quotas: { per_referrer: 1 } })
    const email = 'holds@school.example'
    const a = (await post(body(p, { email }))).json()
    t.equal((await act(a.id, 'accept')).statusCode, 200)
    t.equal((await post(body(p, { email }))).statusCode, 409)
  })

  t.test('a matched referral holds its slot; a closed one frees it', async (t) => {
    const p = await tenant.programme({ quotas: { per_referrer: 1 } })
    const email = 'matched@school.example'
    const a = (await post(body(p, { email }))).json()
    t.equal((await act(a.id, 'accept')).statusCode, 200)
    const mentorId = await vettedMentor(app, coordinator, [p], { since: addDays(todayLocal(), -30) })
    const match = await app.inject({
      method: 'POST',
      url: '/v1/matches',
      headers: auth(coordinator),
      payload: {
        referral_id: a.id,
        mentor_id: mentorId,
        introduction: { scheduled_at: `${addDays(todayLocal(), 7)}T16:00:00Z`, location: 'School library' }
      }
    })
    t.equal(match.statusCode, 201, match.body)
    t.equal(
      (await app.inject({ method: 'GET', url: `/v1/referrals/${a.id}`, headers: auth(coordinator) })).json().status,
      'matched'
    )
    t.equal((await post(body(p, { email }))).statusCode, 409, 'matched is still open')

    const closed = await app.inject({
      method: 'POST',
      url: `/v1/matches/${match.json().id}/close`,
      headers: auth(coordinator),
      payload: { reason_code: 'moved_away' }
    })
    t.equal(closed.statusCode, 200, closed.body)
    t.equal(
      (await app.inject({ method: 'GET', url: `/v1/referrals/${a.id}`, headers: auth(coordinator) })).json().status,
      'closed'
    )
    t.equal((await post(body(p, { email }))).statusCode, 201, 'the closed referral freed its slot')
  })

  t.test("a coordinator's funded place passes the quota and is not counted", async (t) => {
    const p = await tenant.programme({ quotas: { per_referrer: 1 } })
    const email = 'funded@school.example'
    const funded = await post({ ...body(p, { email }), funded_place: true }, coordinator)
    t.equal(funded.statusCode, 201, funded.body)
    t.equal(funded.json().funded_place, true)
    const first = await post(body(p, { email }))
    t.equal(first.statusCode, 201, 'the funded place does not use up the free one')
    t.equal(first.json().funded_place, false)
    t.equal((await post(body(p, { email }))).statusCode, 409)
    t.equal(
      (await post(body(p, { email }), coordinator)).statusCode,
      409,
      'a coordinator without funded_place meets the quota too'
    )
    const another = await post({ ...body(p, { email }), funded_place: true }, coordinator)
    t.equal(another.statusCode, 201, 'past the quota with a funded place')
  })

  t.test('only a coordinator can record a funded place', async (t) => {
    const p = await tenant.programme({})
    const res = await post({ ...body(p), funded_place: true }, referrer)
    t.equal(res.statusCode, 403, res.body)
    t.equal(res.json().code, 'forbidden')
    const integration = await post({ ...body(p), funded_place: true }, tenant.token('integration'))
    t.equal(integration.statusCode, 403, integration.body)
    t.equal((await post({ ...body(p), funded_place: false }, referrer)).statusCode, 201)
  })

  t.test('accept checks the quota again', async (t) => {
    const rules = { quotas: { per_referrer: 2 } }
    const p = await tenant.programme(rules)
    const email = 'recheck@school.example'
    const a = (await post(body(p, { email }))).json()
    const b = (await post(body(p, { email }))).json()

    const current = await app.inject({ method: 'GET', url: `/v1/programmes/${p}`, headers: auth(admin) })
    const lowered = await app.inject({
      method: 'PATCH',
      url: `/v1/programmes/${p}`,
      headers: { ...auth(admin), 'if-match': current.headers.etag as string },
      payload: { rules: { ...current.json().rules, quotas: { per_referrer: 1 } } }
    })
    t.equal(lowered.statusCode, 200, lowered.body)
    t.equal(lowered.json().rules.quotas.per_referrer, 1)

    const refused = await act(a.id, 'accept')
    t.equal(refused.statusCode, 409, refused.body)
    t.same(quotaCodes(refused), ['quota_per_referrer'])
    t.equal(
      (await app.inject({ method: 'GET', url: `/v1/referrals/${a.id}`, headers: auth(coordinator) })).json().status,
      'submitted',
      'unchanged'
    )

    const funded = await act(a.id, 'accept', { funded_place: true })
    t.equal(funded.statusCode, 200, funded.body)
    t.equal(funded.json().status, 'accepted')
    t.equal(funded.json().funded_place, true)

    // With a funded, the other one is now alone within the quota of 1.
    const other = await act(b.id, 'accept')
    t.equal(other.statusCode, 200, other.body)
    t.equal(other.json().funded_place, false)
  })

  t.test('RACE: 20 parallel referrals from one referrer against a quota of 2', async (t) => {
    const p = await tenant.programme({ quotas: { per_referrer: 2 } })
    const email = 'race@school.example'
    const responses = await Promise.all(Array.from({ length: 20 }, async () => await post(body(p, { email }))))
    const statuses = responses.map((r) => r.statusCode)
    t.equal(statuses.filter((s) => s === 201).length, 2, statuses.join(','))
    t.equal(statuses.filter((s) => s === 409).length, 18, statuses.join(','))
    const list = await app.inject({
      method: 'GET',
      url: `/v1/referrals?programme_id=${p}&limit=200`,
      headers: auth(coordinator)
    })
    t.equal(list.json().data.length, 2)
  })
})
