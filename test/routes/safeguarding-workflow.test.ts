import t from 'tap'
import { sql } from 'kysely'
import { referralBody } from '../support/bodies.js'
import { recentlyVettedMentor } from '../support/mentors.js'
import { post, send } from '../support/requests.js'
import { setUp } from '../support/set-up.js'
import { auth } from '../support/tokens.js'
import { todayLocal } from '../support/time.js'

const HOUR = 3_600_000
const ago = (ms: number): string => new Date(Date.now() - ms).toISOString()

t.test('safeguarding workflow', async (t) => {
  const {
    app,
    db,
    tenant,
    other,
    tokens: { admin, coordinator }
  } = await setUp(t, { other: true })
  const secondAdmin = tenant.token('admin', { sub: 'admin-two' })
  const programmeId = await tenant.programme()
  const referrer = tenant.token('referrer', { sub: 'referrer-workflow' })
  const referral = await post(app, referrer, '/v1/referrals', referralBody(programmeId), 201)
  const raise = async (token: string, body: Record<string, unknown> = {}, status = 201): Promise<any> =>
    await post(
      app,
      token,
      '/v1/safeguarding-concerns',
      {
        referral_id: referral.id,
        category: 'abuse_or_neglect',
        description: 'Bruising on both arms, said a relative did it.',
        ...body
      },
      status
    )
  const url = (id: string, step: string): string => `/v1/safeguarding-concerns/${id}/${step}`
  const problem = async (token: string, path: string, payload: unknown): Promise<{ status: number; body: any }> => {
    const res = await app.inject({ method: 'POST', url: path, headers: auth(token), payload: payload as any })
    return { status: res.statusCode, body: res.json() }
  }

  t.test('kind and raised_at', async (t) => {
    const plain = await raise(referrer)
    t.equal(plain.kind, 'about_young_person', 'the default kind')
    t.equal(plain.status, 'open')
    t.ok(Math.abs(Date.parse(plain.raised_at) - Date.now()) < 60_000, 'raised now')
    t.equal(plain.lado_referral, null, 'no LADO step for a concern about the young person')
    t.equal(plain.acknowledgement.acknowledged_at, null)
    const earlier = await raise(coordinator, { raised_at: ago(30 * HOUR), immediate_risk: true })
    t.equal(
      earlier.acknowledgement.due_at,
      new Date(Date.parse(earlier.raised_at) + HOUR).toISOString(),
      'deadlines run from raised_at'
    )
    t.equal(earlier.overdue, true)
    t.equal(
      (await raise(admin, { raised_at: ago(HOUR) })).raised_role,
      'admin',
      'an admin records one received earlier'
    )

    const future = await problem(coordinator, '/v1/safeguarding-concerns', {
      referral_id: referral.id,
      category: 'other',
      description: 'x',
      raised_at: new Date(Date.now() + 10 * 60_000).toISOString()
    })
    t.equal(future.status, 400)
    t.same(future.body.errors, [{ path: 'body/raised_at', message: 'must not be in the future' }])
    const byReferrer = await problem(referrer, '/v1/safeguarding-concerns', {
      referral_id: referral.id,
      category: 'other',
      description: 'x',
      raised_at: ago(HOUR)
    })
    t.equal(byReferrer.status, 403, 'only a coordinator or admin back-dates a concern')
    t.equal(byReferrer.body.errors[0].path, 'body/raised_at')
    const badKind = await problem(coordinator, '/v1/safeguarding-concerns', {
      referral_id: referral.id,
      category: 'other',
      description: 'x',
      kind: 'rumour'
    })
    t.equal(badKind.status, 400)
    t.equal(badKind.body.errors[0].path, 'body/kind')
    const strayMentor = await problem(coordinator, '/v1/safeguarding-concerns', {
      referral_id: referral.id,
      category: 'other',
      description: 'x',
      mentor_id: referral.id
    })
    t.equal(strayMentor.status, 400)
    t.same(strayMentor.body.errors, [{ path: 'body/mentor_id', message: 'is only for an allegation about a mentor' }])
    const noMentor = await problem(coordinator, '/v1/safeguarding-concerns', {
      referral_id: referral.id,
      category: 'mentor_conduct',
      description: 'x',
      kind: 'allegation_about_mentor'
    })
    t.equal(noMentor.status, 400, 'an allegation about a mentor names the mentor, or a match')
    t.equal(noMentor.body.errors[0].path, 'body/mentor_id')
    const foreignMentor = await recentlyVettedMentor(app, other.token('coordinator'), [await other.programme()])
    const elsewhere = await problem(coordinator, '/v1/safeguarding-concerns', {
      referral_id: referral.id,
      category: 'mentor_conduct',
      description: 'x',
      kind: 'allegation_about_mentor',
      mentor_id: foreignMentor
    })
    t.equal(elsewhere.status, 422, "another organisation's mentor is no mentor of ours")
    t.equal(elsewhere.body.code, 'unknown_reference')
    t.equal(elsewhere.body.errors[0].path, 'body/mentor_id')
  })

  t.test('acknowledged once: the second is 409 and the first stands', async (t) => {
    const c = await raise(referrer)
    for (const token of [referrer, tenant.token('mentor', { mentorId: referral.id }), tenant.token('integration')]) {
      t.equal((await problem(token, url(c.id, 'acknowledge'), {})).status, 403)
    }
    const first = await post(app, coordinator, url(c.id, 'acknowledge'), {}, 200)
    t.equal(first.acknowledgement.acknowledged_role, 'coordinator')
    t.ok(first.acknowledgement.acknowledged_at)
    t.equal(first.acknowledgement.overdue, false)
    const second = await problem(secondAdmin, url(c.id, 'acknowledge'), {})
    t.equal(second.status, 409)
    t.equal(second.body.reasons[0].code, 'already_acknowledged')
    const now = await send(app, coordinator, 'GET', `/v1/safeguarding-concerns/${c.id as string}`, undefined, 200)
    t.same(now.acknowledgement, first.acknowledgement, 'the first acknowledgement is kept')
    const noBody = await app.inject({
      method: 'POST',
      url: url((await raise(referrer)).id, 'acknowledge'),
      headers: auth(admin)
    })
    t.equal(noBody.statusCode, 200, 'no body needed')
    t.equal(noBody.json().acknowledgement.acknowledged_role, 'admin')
    t.equal((await problem(coordinator, url(c.id, 'acknowledge'), { note: 'x' })).status, 400, 'no fields')
    t.equal(
      (await problem(other.token('coordinator'), url(c.id, 'acknowledge'), {})).status,
      404,
      "another organisation's concern"
    )
    const both = await Promise.all(
      [coordinator, secondAdmin].map(
        async (tok) => await problem(tok, url((await raise(referrer)).id, 'acknowledge'), {})
      )
    )
    t.ok(
      both.every((r) => r.status === 200),
      'two concerns, one each'
    )
    const racing = await raise(referrer)
    const race = await Promise.all(
      [coordinator, secondAdmin, admin].map(async (tok) => await problem(tok, url(racing.id, 'acknowledge'), {}))
    )
    t.same(race.map((r) => r.status).sort(), [200, 409, 409], 'three at once: one acknowledgement')
  })

  t.test("the lead's queue", async (t) => {
    const late = await raise(coordinator, {
      raised_at: ago(50 * HOUR),
      kind: 'allegation_about_staff',
      category: 'other'
    })
    const fresh = await raise(referrer)
    const acked = await raise(referrer)
    await post(app, coordinator, url(acked.id, 'acknowledge'), {}, 200)
    const ids = async (status: string): Promise<string[]> =>
      (
        await send(app, coordinator, 'GET', `/v1/safeguarding-concerns?status=${status}&limit=200`, undefined, 200)
      ).data.map((c: any) => c.id)
    const unack = await ids('unacknowledged')
    t.ok(unack.includes(late.id) && unack.includes(fresh.id))
    t.notOk(unack.includes(acked.id))
    const overdue = await ids('overdue')
    t.ok(overdue.includes(late.id), 'a deadline has passed')
    t.notOk(overdue.includes(fresh.id), 'not yet due')
    t.notOk(overdue.includes(acked.id))
    // Acknowledged, but the LADO deadline has passed too: still overdue until the referral is recorded.
    await post(app, coordinator, url(late.id, 'acknowledge'), {}, 200)
    t.ok((await ids('overdue')).includes(late.id), 'still overdue: not referred to the LADO')
    t.notOk((await ids('unacknowledged')).includes(late.id))
    const referred = await post(
      app,
      coordinator,
      url(late.id, 'lado-referral'),
      { referred_on: todayLocal(), lado_reference: 'LADO/2026/117' },
      200
    )
    t.equal(referred.overdue, false)
    t.notOk((await ids('overdue')).includes(late.id))
    t.ok((await ids('open')).includes(late.id))
    await post(
      app,
      admin,
      url(late.id, 'outcome'),
      { outcome: 'unfounded', note: 'The LADO found no case to answer.' },
      200
    )
    t.ok((await ids('closed')).includes(late.id))
    t.notOk((await ids('open')).includes(late.id))
    t.notOk((await ids('closed')).includes(fresh.id))
    const byKind = (
      await send(
        app,
        coordinator,
        'GET',
        '/v1/safeguarding-concerns?kind=allegation_about_staff&limit=200',
        undefined,
        200
      )
    ).data
    t.ok(byKind.length > 0 && byKind.every((c: any) => c.kind === 'allegation_about_staff'))
    const bad = await app.inject({
      method: 'GET',
      url: '/v1/safeguarding-concerns?status=pending',
      headers: auth(coordinator)
    })
    t.equal(bad.statusCode, 400)
    t.equal(bad.json().errors[0].path, 'query/status')
    const mine = (
      await send(app, referrer, 'GET', '/v1/safeguarding-concerns?status=unacknowledged&limit=200', undefined, 200)
    ).data
    t.ok(
      mine.length > 0 && mine.every((c: any) => c.raised_by === 'referrer-workflow'),
      "a referrer's queue is what it raised"
    )
  })

  t.test('LADO referral: allegations only, once, on a real day', async (t) => {
    const about = await raise(referrer)
    const notAllegation = await problem(coordinator, url(about.id, 'lado-referral'), {
      referred_on: todayLocal(),
      lado_reference: 'L1'
    })
    t.equal(notAllegation.status, 422)
    t.equal(notAllegation.body.reasons[0].code, 'not_an_allegation')
    const allegation = await raise(coordinator, {
      kind: 'allegation_about_staff',
      category: 'other',
      raised_at: ago(2 * HOUR)
    })
    t.ok(allegation.lado_referral.due_at, 'an allegation opens a LADO deadline')
    t.equal(
      allegation.lado_referral.due_at,
      allegation.acknowledgement.due_at,
      '23:59 on the next working day, as its acknowledgement'
    )
    const future = await problem(coordinator, url(allegation.id, 'lado-referral'), {
      referred_on: '2099-01-01',
      lado_reference: 'L1'
    })
    t.equal(future.status, 400)
    t.same(future.body.errors, [{ path: 'body/referred_on', message: 'must not be in the future' }])
    const before = await problem(coordinator, url(allegation.id, 'lado-referral'), {
      referred_on: '2020-01-01',
      lado_reference: 'L1'
    })
    t.equal(before.status, 400)
    t.equal(before.body.errors[0].path, 'body/referred_on')
    const blank = await problem(coordinator, url(allegation.id, 'lado-referral'), {
      referred_on: todayLocal(),
      lado_reference: '   '
    })
    t.equal(blank.status, 400)
    t.equal(
      (
        await problem(referrer, url(allegation.id, 'lado-referral'), {
          referred_on: todayLocal(),
          lado_reference: 'L1'
        })
      ).status,
      403
    )
    const done = await post(
      app,
      coordinator,
      url(allegation.id, 'lado-referral'),
      { referred_on: todayLocal(), lado_reference: 'LADO/2026/118' },
      200
    )
    t.match(done.lado_referral, { referred_on: todayLocal(), lado_reference: 'LADO/2026/118', overdue: false })
    t.ok(done.lado_referral.recorded_by)
    t.ok(done.lado_referral.recorded_at)
    const again = await problem(admin, url(allegation.id, 'lado-referral'), {
      referred_on: todayLocal(),
      lado_reference: 'OTHER'
    })
    t.equal(again.status, 409)
    const kept = await send(
      app,
      coordinator,
      'GET',
      `/v1/safeguarding-concerns/${allegation.id as string}`,
      undefined,
      200
    )
    t.equal(kept.lado_referral.lado_reference, 'LADO/2026/118', 'the first referral stands')
  })

  t.test(
    'outcome: by an admin, after acknowledgement (and the LADO for an allegation); it closes the concern and sets its retention class',
    async (t) => {
      const allegation = await raise(coordinator, { kind: 'allegation_about_staff', category: 'other' })
      const outcome = { outcome: 'unsubstantiated', note: 'Not enough evidence either way.' }
      t.equal(
        (await problem(coordinator, url(allegation.id, 'outcome'), outcome)).status,
        403,
        'an admin records the outcome'
      )
      const early = await problem(admin, url(allegation.id, 'outcome'), outcome)
      t.equal(early.status, 409)
      t.same(
        early.body.reasons.map((r: any) => r.code),
        ['not_acknowledged', 'lado_referral_missing']
      )
      const badOutcome = await problem(admin, url(allegation.id, 'outcome'), { outcome: 'dismissed', note: 'x' })
      t.equal(badOutcome.status, 400)
      t.equal(badOutcome.body.errors[0].path, 'body/outcome')
      t.equal(
        (await problem(admin, url(allegation.id, 'outcome'), { outcome: 'unfounded' })).body.errors[0].path,
        'body/note'
      )
      await post(app, coordinator, url(allegation.id, 'acknowledge'), {}, 200)
      await post(
        app,
        coordinator,
        url(allegation.id, 'lado-referral'),
        { referred_on: todayLocal(), lado_reference: 'LADO/2026/119' },
        200
      )
      const closed = await post(app, admin, url(allegation.id, 'outcome'), outcome, 200)
      t.equal(closed.status, 'closed')
      t.equal(closed.retention_class, 'allegation_substantiated', 'unsubstantiated is kept as long as substantiated')
      t.match(closed.outcome, { outcome: 'unsubstantiated', note: outcome.note })
      const row = await db
        .selectFrom('safeguarding_concerns')
        .select(['retention_class', 'outcome_at'])
        .where('id', '=', allegation.id)
        .executeTakeFirstOrThrow()
      t.equal(row.retention_class, 'allegation_substantiated', 'stored for the retention job')
      const again = await problem(secondAdmin, url(allegation.id, 'outcome'), { outcome: 'malicious', note: 'x' })
      t.equal(again.status, 409)
      t.equal(again.body.reasons[0].code, 'concern_closed')

      const classes: Array<[string, string, string]> = [
        ['allegation_about_staff', 'substantiated', 'allegation_substantiated'],
        ['allegation_about_staff', 'unfounded', 'allegation_unfounded'],
        ['allegation_about_staff', 'malicious', 'allegation_unfounded'],
        ['about_young_person', 'substantiated', 'safeguarding_concern'],
        ['about_young_person', 'unfounded', 'safeguarding_concern']
      ]
      for (const [kind, result, retention] of classes) {
        const c = await raise(coordinator, { kind, category: 'other' })
        await post(app, coordinator, url(c.id, 'acknowledge'), {}, 200)
        if (kind !== 'about_young_person')
          await post(
            app,
            coordinator,
            url(c.id, 'lado-referral'),
            { referred_on: todayLocal(), lado_reference: 'L' },
            200
          )
        t.equal(
          (await post(app, admin, url(c.id, 'outcome'), { outcome: result, note: 'Reviewed.' }, 200)).retention_class,
          retention,
          `${kind} ${result}`
        )
      }
    }
  )

  t.test('the raiser sees where it stands, not the LADO reference or the outcome note', async (t) => {
    const c = await raise(referrer, { kind: 'allegation_about_staff', category: 'other' })
    await post(app, coordinator, url(c.id, 'acknowledge'), {}, 200)
    await post(
      app,
      coordinator,
      url(c.id, 'lado-referral'),
      { referred_on: todayLocal(), lado_reference: 'LADO/2026/120' },
      200
    )
    await post(app, admin, url(c.id, 'outcome'), { outcome: 'substantiated', note: 'Dismissed from post.' }, 200)
    const seen = await send(app, referrer, 'GET', `/v1/safeguarding-concerns/${c.id as string}`, undefined, 200)
    t.equal(seen.status, 'closed')
    t.equal(seen.lado_referral.lado_reference, null)
    t.equal(seen.outcome.note, null)
    t.equal(seen.outcome.outcome, 'substantiated')
    const staff = await send(app, coordinator, 'GET', `/v1/safeguarding-concerns/${c.id as string}`, undefined, 200)
    t.equal(staff.outcome.note, 'Dismissed from post.')
  })

  t.test('what was reported never changes, and each step is written once, even in the database', async (t) => {
    const c = await raise(referrer)
    await post(app, coordinator, url(c.id, 'acknowledge'), {}, 200)
    await t.rejects(
      db.updateTable('safeguarding_concerns').set({ description: 'changed' }).where('id', '=', c.id).execute(),
      /cannot be changed/
    )
    await t.rejects(
      db
        .updateTable('safeguarding_concerns')
        .set({ acknowledgement_due_at: new Date() })
        .where('id', '=', c.id)
        .execute(),
      /cannot be changed/
    )
    await t.rejects(
      db.updateTable('safeguarding_concerns').set({ acknowledged_by: 'someone-else' }).where('id', '=', c.id).execute(),
      /cannot be changed/
    )
    await t.rejects(db.deleteFrom('safeguarding_concerns').where('id', '=', c.id).execute(), /cannot be changed/)
    // Anonymisation (retention, erasure) may replace the free text, and nothing else.
    const anonymising = async (set: Record<string, unknown>): Promise<void> => {
      await db.transaction().execute(async (trx) => {
        await sql`select set_config('waymark.anonymising', 'on', true)`.execute(trx)
        await trx.updateTable('safeguarding_concerns').set(set).where('id', '=', c.id).execute()
      })
    }
    await anonymising({ description: '[removed]', anonymised_at: new Date() })
    await t.rejects(anonymising({ category: 'other' }), /cannot be changed/)
    await t.rejects(anonymising({ acknowledged_by: 'someone-else' }), /cannot be changed/)
    await t.rejects(
      db.updateTable('safeguarding_concerns').set({ anonymised_at: null }).where('id', '=', c.id).execute(),
      /cannot be changed/
    )
    t.equal(
      (await send(app, coordinator, 'GET', `/v1/safeguarding-concerns/${c.id as string}`, undefined, 200)).description,
      '[removed]'
    )
  })

  t.test('safeguarding leads in the staff directory', async (t) => {
    const lead = await post(
      app,
      admin,
      '/v1/users',
      { email: 'dsl@council.example', name: 'Designated Lead', roles: ['coordinator'], safeguarding_lead: true },
      201
    )
    t.equal(lead.safeguarding_lead, true)
    const created = await app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: auth(admin),
      payload: { email: 'plain@council.example', name: 'Plain Coordinator', roles: ['coordinator'] }
    })
    const plain = created.json()
    t.equal(plain.safeguarding_lead, false, 'not a lead unless flagged')
    const unflagged = await raise(referrer)
    const before = (
      await db.selectFrom('notifications').select('recipient').where('subject_id', '=', unflagged.id).execute()
    )
      .map((r) => r.recipient)
      .sort()
    t.same(
      before,
      ['dsl@council.example', 'plain@council.example'],
      'a coordinator and a lead who is a coordinator: one alert each'
    )
    const res = await app.inject({
      method: 'PATCH',
      url: `/v1/users/${plain.id as string}`,
      headers: { ...auth(admin), 'if-match': created.headers.etag as string },
      payload: { safeguarding_lead: true, roles: ['referrer'] }
    })
    t.equal(res.statusCode, 200, res.body)
    t.equal(res.json().safeguarding_lead, true)
    const leads = (await send(app, coordinator, 'GET', '/v1/users?safeguarding_lead=true', undefined, 200)).data
    t.ok(leads.some((u: any) => u.id === lead.id))
    t.ok(leads.every((u: any) => u.safeguarding_lead === true))
    const notBool = await app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: auth(admin),
      payload: { email: 'x@council.example', name: 'X', roles: ['admin'], safeguarding_lead: 'yes' }
    })
    t.equal(notBool.statusCode, 400)
    t.equal(notBool.json().errors[0].path, 'body/safeguarding_lead')
    // A new concern reaches the leads with the coordinators, once each.
    const c = await raise(referrer)
    const to = (
      await db
        .selectFrom('notifications')
        .select('recipient')
        .where('subject_id', '=', c.id)
        .where('kind', '=', 'safeguarding_concern')
        .execute()
    )
      .map((r) => r.recipient)
      .sort()
    t.same(to, ['dsl@council.example', 'plain@council.example'], 'a lead who is not a coordinator is told too')
  })
})
