import t from 'tap'
import { mentorBody } from '../support/bodies.js'
import { setUp } from '../support/set-up.js'
import { todayLocal } from '../support/time.js'
import { auth } from '../support/tokens.js'
import { addDays, addMonths } from '../../src/lib/dates.js'

t.test('mentors', async (t) => {
  const {
    app,
    tenant,
    other,
    tokens: { coordinator }
  } = await setUp(t, { other: true })
  const programmeId = await tenant.programme()
  const today = todayLocal()

  const create = async (overrides: Record<string, unknown> = {}): Promise<any> => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/mentors',
      headers: auth(coordinator),
      payload: mentorBody([programmeId], overrides)
    })
    if (res.statusCode !== 201) throw new Error(`mentor: ${res.statusCode} ${res.body}`)
    return res.json()
  }
  const post = async (path: string, payload: unknown, token = coordinator) =>
    await app.inject({ method: 'POST', url: `/v1/mentors${path}`, headers: auth(token), payload: payload as any })

  t.test('creates an applicant with a normalised postcode, readable with an ETag', async (t) => {
    const m = await create()
    t.equal(m.status, 'applicant')
    t.equal(m.postcode, 'BR1 3AB')
    t.same(m.programme_ids, [programmeId])
    const got = await app.inject({ method: 'GET', url: `/v1/mentors/${m.id}`, headers: auth(coordinator) })
    t.equal(got.statusCode, 200)
    t.ok(got.headers.etag)
  })

  t.test('bad input names the field; unknown programme is a 422 naming it', async (t) => {
    const res = await post(
      '',
      mentorBody([programmeId], {
        email: 'nope',
        postcode: 'x',
        availability: [{ day: 'someday', part: 'evening' }],
        extra: true
      })
    )
    t.equal(res.statusCode, 400)
    const paths = res.json().errors.map((e: any) => e.path)
    for (const p of ['body/email', 'body/postcode', 'body/availability/0/day', 'body/extra'])
      t.ok(paths.includes(p), `${p} in ${paths.join()}`)
    const otherProgramme = await other.programme()
    const res2 = await post('', mentorBody([otherProgramme]))
    t.equal(res2.statusCode, 422)
    t.equal(res2.json().code, 'unknown_reference')
    t.equal(res2.json().errors[0].path, 'body/programme_ids/0')
    t.same(res2.json().reasons, [
      { code: 'unknown_reference', message: 'programme_ids/0 is not a programme of your organisation' }
    ])
    const res3 = await post(
      '',
      mentorBody([programmeId], {
        professional_background: {
          role: 'Social worker',
          organisation: 'Council',
          involvement_ended_on: addDays(today, 1)
        }
      })
    )
    t.equal(res3.statusCode, 400)
    t.equal(res3.json().errors[0].path, 'body/professional_background/involvement_ended_on')
  })

  t.test('a duplicate email in the organisation is a 409', async (t) => {
    const m = await create()
    const res = await post('', mentorBody([programmeId], { email: m.email.toUpperCase() }))
    t.equal(res.statusCode, 409)
  })

  t.test("tenancy and the mentor's own view", async (t) => {
    const m = await create()
    const m2 = await create()
    const otherCoord = other.token('coordinator')
    t.equal(
      (await app.inject({ method: 'GET', url: `/v1/mentors/${m.id}`, headers: auth(otherCoord) })).statusCode,
      404
    )
    t.equal(
      (
        await app.inject({
          method: 'PATCH',
          url: `/v1/mentors/${m.id}`,
          headers: auth(otherCoord),
          payload: { phone: '020 1234 5678' }
        })
      ).statusCode,
      404
    )
    const mentorToken = tenant.token('mentor', { mentorId: m.id })
    t.equal(
      (await app.inject({ method: 'GET', url: `/v1/mentors/${m.id}`, headers: auth(mentorToken) })).statusCode,
      200
    )
    t.equal(
      (await app.inject({ method: 'GET', url: `/v1/mentors/${m2.id}`, headers: auth(mentorToken) })).statusCode,
      404
    )
    t.equal(
      (await app.inject({ method: 'GET', url: `/v1/mentors/${m2.id}/compliance`, headers: auth(mentorToken) }))
        .statusCode,
      404
    )
    const list = await app.inject({ method: 'GET', url: '/v1/mentors', headers: auth(mentorToken) })
    t.same(
      list.json().data.map((x: any) => x.id),
      [m.id]
    )
    t.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/v1/mentors',
          headers: auth(mentorToken),
          payload: mentorBody([programmeId])
        })
      ).statusCode,
      403
    )
    t.equal(
      (await post(`/${m.id}/trainings`, { kind: 'other', completed_on: today, hours: 1, provider: 'X' }, mentorToken))
        .statusCode,
      403
    )
    t.equal((await post(`/${m.id}/approve`, {}, mentorToken)).statusCode, 403)
    t.equal(
      (await app.inject({ method: 'GET', url: '/v1/mentors', headers: auth(tenant.token('referrer')) })).statusCode,
      403
    )
  })

  t.test('a mentor edits only its limited fields; a coordinator edits all, with If-Match', async (t) => {
    const m = await create()
    const mentorToken = tenant.token('mentor', { mentorId: m.id })
    const ok = await app.inject({
      method: 'PATCH',
      url: `/v1/mentors/${m.id}`,
      headers: auth(mentorToken),
      payload: { phone: '020 8000 0000', interests: ['chess'] }
    })
    t.equal(ok.statusCode, 200, ok.body)
    t.same(ok.json().interests, ['chess'])
    const refused = await app.inject({
      method: 'PATCH',
      url: `/v1/mentors/${m.id}`,
      headers: auth(mentorToken),
      payload: { phone: '020 8000 0001', capacity: 3, works_in_care_system: false }
    })
    t.equal(refused.statusCode, 403)
    t.same(
      refused
        .json()
        .errors.map((e: any) => e.path)
        .sort(),
      ['body/capacity', 'body/works_in_care_system']
    )
    const got = await app.inject({ method: 'GET', url: `/v1/mentors/${m.id}`, headers: auth(coordinator) })
    t.equal(got.json().phone, '020 8000 0000')
    const stale = await app.inject({
      method: 'PATCH',
      url: `/v1/mentors/${m.id}`,
      headers: { ...auth(coordinator), 'if-match': '"00000000-1"' },
      payload: { capacity: 2 }
    })
    t.equal(stale.statusCode, 412)
    const fresh = await app.inject({
      method: 'PATCH',
      url: `/v1/mentors/${m.id}`,
      headers: { ...auth(coordinator), 'if-match': got.headers.etag as string },
      payload: { capacity: 2, postcode: 'se1 7pb' }
    })
    t.equal(fresh.statusCode, 200, fresh.body)
    t.equal(fresh.json().capacity, 2)
    t.equal(fresh.json().postcode, 'SE1 7PB')
  })

  t.test('lifecycle: vetting on the first record, approve refused with every reason, then approved', async (t) => {
    const m = await create()
    const early = await post(`/${m.id}/approve`, {})
    t.equal(early.statusCode, 409, 'an applicant cannot be approved')
    t.equal(
      (await post(`/${m.id}/interviews`, { held_on: today, interviewer: 'Pat Lead', outcome: 'passed' })).statusCode,
      201
    )
    const afterInterview = await app.inject({ method: 'GET', url: `/v1/mentors/${m.id}`, headers: auth(coordinator) })
    t.equal(afterInterview.json().status, 'vetting')
    const refused = await post(`/${m.id}/approve`, {})
    t.equal(refused.statusCode, 422, refused.body)
    t.same(
      refused
        .json()
        .reasons.map((r: any) => r.code)
        .sort(),
      ['dbs_missing', 'initial_training_missing', 'references_missing', 'safeguarding_training_missing']
    )
    for (const i of [1, 2]) {
      t.equal(
        (
          await post(`/${m.id}/references`, {
            referee_name: `Referee ${i}`,
            relationship: 'employer',
            requested_on: addDays(today, -20),
            received_on: addDays(today, -10),
            satisfactory: true
          })
        ).statusCode,
        201
      )
    }
    t.equal(
      (
        await post(`/${m.id}/trainings`, {
          kind: 'initial',
          completed_on: addDays(today, -5),
          hours: 6,
          provider: 'Waymark'
        })
      ).statusCode,
      201
    )
    t.equal(
      (
        await post(`/${m.id}/trainings`, {
          kind: 'safeguarding',
          completed_on: addDays(today, -5),
          hours: 3,
          provider: 'NSPCC'
        })
      ).statusCode,
      201
    )
    t.equal(
      (
        await post(`/${m.id}/dbs-checks`, {
          level: 'enhanced_with_barred_list_children',
          workforce: 'child',
          certificate_number: '001234567890',
          issued_on: addDays(today, -30),
          outcome: 'clear'
        })
      ).statusCode,
      201
    )
    const compliance = await app.inject({
      method: 'GET',
      url: `/v1/mentors/${m.id}/compliance`,
      headers: auth(coordinator)
    })
    t.equal(compliance.statusCode, 200)
    t.equal(compliance.json().cleared, false, 'not approved yet')
    t.same(compliance.json().programmes, [{ programme_id: programmeId, clear: true, cleared: false }])
    const noBody = await app.inject({ method: 'POST', url: `/v1/mentors/${m.id}/suspend`, headers: auth(coordinator) })
    t.equal(noBody.statusCode, 409, 'an action needs no body')
    const approved = await post(`/${m.id}/approve`, { reason: 'vetting complete' })
    t.equal(approved.statusCode, 200, approved.body)
    t.equal(approved.json().status, 'approved')
    t.ok(approved.json().approved_at)
    const after = await app.inject({ method: 'GET', url: `/v1/mentors/${m.id}/compliance`, headers: auth(coordinator) })
    t.equal(after.json().cleared, true)
    const sg = after.json().checks.find((c: any) => c.name === 'safeguarding_training')
    t.equal(sg.expires_on, addMonths(addDays(today, -5), 12))
    t.equal((await post(`/${m.id}/approve`, {})).statusCode, 409)
    t.equal((await post(`/${m.id}/suspend`, { reason: 'concern raised' })).json().status, 'suspended')
    t.equal((await post(`/${m.id}/suspend`, {})).statusCode, 409)
    t.equal((await post(`/${m.id}/reinstate`, {})).json().status, 'approved')
    t.equal((await post(`/${m.id}/withdraw`, {})).json().status, 'withdrawn')
    t.equal((await post(`/${m.id}/reinstate`, {})).statusCode, 409)
    t.equal(
      (await post(`/${m.id}/trainings`, { kind: 'other', completed_on: today, hours: 1, provider: 'X' })).statusCode,
      409
    )
    const history = await app.inject({ method: 'GET', url: `/v1/mentors/${m.id}/history`, headers: auth(coordinator) })
    t.same(
      history.json().data.map((h: any) => h.to_status),
      ['applicant', 'vetting', 'approved', 'suspended', 'approved', 'withdrawn']
    )
    t.equal(history.json().data[2].reason, 'vetting complete')
  })

  t.test('vetting records validate their dates and DBS rules, naming the field', async (t) => {
    const m = await create()
    const future = await post(`/${m.id}/trainings`, {
      kind: 'safeguarding',
      completed_on: addDays(today, 1),
      hours: 2,
      provider: 'NSPCC'
    })
    t.equal(future.statusCode, 400)
    t.equal(future.json().errors[0].path, 'body/completed_on')
    const ref = await post(`/${m.id}/references`, {
      referee_name: 'A',
      relationship: 'friend',
      requested_on: today,
      satisfactory: true
    })
    t.equal(ref.statusCode, 400)
    t.equal(ref.json().errors[0].path, 'body/satisfactory')
    const cert = await post(`/${m.id}/dbs-checks`, {
      level: 'enhanced_with_barred_list_children',
      workforce: 'child',
      certificate_number: '12345',
      issued_on: today,
      outcome: 'clear'
    })
    t.equal(cert.statusCode, 400)
    t.equal(cert.json().errors[0].path, 'body/certificate_number')
    const sub = await post(`/${m.id}/dbs-checks`, {
      level: 'enhanced_with_barred_list_children',
      workforce: 'child',
      certificate_number: '123456789012',
      issued_on: today,
      outcome: 'clear',
      update_service_subscribed: true
    })
    t.equal(sub.statusCode, 400)
    t.equal(sub.json().errors[0].path, 'body/update_service_subscription_id')
    const risk = await post(`/${m.id}/dbs-checks`, {
      level: 'enhanced_with_barred_list_children',
      workforce: 'child',
      certificate_number: '123456789012',
      issued_on: today,
      outcome: 'clear',
      risk_decision: { acceptable: true, decided_on: today, rationale: 'x' }
    })
    t.equal(risk.statusCode, 400)
    t.equal(risk.json().errors[0].path, 'body/risk_decision')
    const noUs = await post(`/${m.id}/dbs-checks`, {
      level: 'enhanced',
      workforce: 'adult',
      certificate_number: '123456789012',
      issued_on: today,
      outcome: 'clear'
    })
    t.equal(noUs.statusCode, 201)
    const sc = await post(`/${m.id}/dbs-checks/${noUs.json().id as string}/status-checks`, {
      checked_on: today,
      result: 'no_change'
    })
    t.equal(sc.statusCode, 422)
    const list = await app.inject({ method: 'GET', url: `/v1/mentors/${m.id}/dbs-checks`, headers: auth(coordinator) })
    t.equal(list.json().data.length, 1)
    t.notOk('content' in list.json().data[0])
  })

  t.test('a vetting record retried with the same Idempotency-Key is recorded once', async (t) => {
    const m = await create()
    const headers = { ...auth(coordinator), 'idempotency-key': `training-${m.id as string}` }
    const body = { kind: 'initial', completed_on: today, hours: 3, provider: 'Programme team' }
    const first = await app.inject({
      method: 'POST',
      url: `/v1/mentors/${m.id as string}/trainings`,
      headers,
      payload: body
    })
    const again = await app.inject({
      method: 'POST',
      url: `/v1/mentors/${m.id as string}/trainings`,
      headers,
      payload: body
    })
    t.equal(first.statusCode, 201)
    t.equal(again.statusCode, 201)
    t.equal(again.json().id, first.json().id)
    const other = await app.inject({
      method: 'POST',
      url: `/v1/mentors/${m.id as string}/trainings`,
      headers,
      payload: { ...body, hours: 4 }
    })
    t.equal(other.statusCode, 422)
    const list = await app.inject({
      method: 'GET',
      url: `/v1/mentors/${m.id as string}/trainings`,
      headers: auth(coordinator)
    })
    t.equal(list.json().data.length, 1)
  })

  t.test('list: filters and keyset pagination', async (t) => {
    const second = await tenant.programme()
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await create({ programme_ids: [second] })).id)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res: any = await app.inject({
        method: 'GET',
        url: `/v1/mentors?programme_id=${second}&limit=2${cursor !== null ? `&cursor=${cursor}` : ''}`,
        headers: auth(coordinator)
      })
      t.equal(res.statusCode, 200)
      seen.push(...res.json().data.map((x: any) => x.id))
      cursor = res.json().next_cursor
    } while (cursor !== null)
    t.same(seen, [...ids].reverse())
    const applicants = await app.inject({
      method: 'GET',
      url: `/v1/mentors?programme_id=${second}&status=vetting`,
      headers: auth(coordinator)
    })
    t.equal(applicants.json().data.length, 0)
    const bad = await app.inject({
      method: 'GET',
      url: '/v1/mentors?status=retired&cleared=maybe',
      headers: auth(coordinator)
    })
    t.equal(bad.statusCode, 400)
  })
})
