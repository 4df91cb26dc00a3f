import t from 'tap'
import { referralBody } from '../support/bodies.js'
import { makeMatch, matchAction, response } from '../support/matches.js'
import { post, send } from '../support/requests.js'
import { setUp } from '../support/set-up.js'
import { runJob } from '../support/jobs.js'
import { todayLocal, waitUntil } from '../support/time.js'
import { auth } from '../support/tokens.js'
import { addDays, addMonths } from '../../src/lib/dates.js'

const DEFAULTS = {
  referral_declined_or_withdrawn: 24,
  referral_closed: 72,
  mentor_left: 72,
  safeguarding_concern: 300,
  allegation_unfounded: 120,
  allegation_substantiated: 1200,
  notification: 24
}

t.test('the retention schedule: defaults, read by every org role, changed by admins class by class', async (t) => {
  const {
    app,
    tenant,
    tokens: { admin, coordinator, referrer }
  } = await setUp(t)
  const got = await send(app, referrer, 'GET', '/v1/organisation/retention', undefined, 200)
  t.same(got.classes, DEFAULTS)
  t.equal(got.idempotency_key_hours, 24)
  t.equal(got.updated_at, null)
  t.equal(
    (
      await send(
        app,
        tenant.token('mentor', { mentorId: '3f1c9a57-2d4e-4b8a-9c6d-1e2f3a4b5c6d' }),
        'GET',
        '/v1/organisation/retention',
        undefined,
        200
      )
    ).classes.notification,
    24
  )

  await send(app, coordinator, 'PATCH', '/v1/organisation/retention', { classes: { referral_closed: 84 } }, 403)
  const changed = await send(
    app,
    admin,
    'PATCH',
    '/v1/organisation/retention',
    { classes: { referral_closed: 84 } },
    200
  )
  t.same(changed.classes, { ...DEFAULTS, referral_closed: 84 })
  const again = await send(app, admin, 'PATCH', '/v1/organisation/retention', { classes: { notification: 12 } }, 200)
  t.same(
    again.classes,
    { ...DEFAULTS, referral_closed: 84, notification: 12 },
    'a PATCH changes only the classes it names'
  )
  t.ok(again.updated_at)

  for (const [payload, path] of [
    [{ classes: { not_a_class: 12 } }, '/classes'],
    [{ classes: { notification: 0 } }, '/classes/notification'],
    [{ classes: { notification: '12' } }, '/classes/notification'],
    [{ classes: {} }, '/classes'],
    [{}, '']
  ] as const) {
    const res = await app.inject({ method: 'PATCH', url: '/v1/organisation/retention', headers: auth(admin), payload })
    t.equal(res.statusCode, 400, JSON.stringify(payload))
    t.match(res.headers['content-type'], /application\/problem\+json/)
    t.ok(
      res.json().errors.some((e: { path: string }) => e.path.startsWith(`body${path}`)),
      `names ${path}`
    )
  }
})

t.test('legal holds on referrals and mentors', async (t) => {
  const {
    app,
    tenant,
    other,
    tokens: { admin, coordinator }
  } = await setUp(t, { other: true })
  const programme = await tenant.programme()
  const referral = await post(app, coordinator, '/v1/referrals', referralBody(programme))
  const url = `/v1/referrals/${referral.id as string}/legal-hold`
  await send(app, coordinator, 'POST', url, { reason: 'Inquiry' }, 403)
  const hold = await post(app, admin, url, { reason: 'Inquiry moratorium' }, 201)
  t.match(hold, { referral_id: referral.id, mentor_id: null, reason: 'Inquiry moratorium', released_at: null })
  const again = await post(app, admin, url, { reason: 'Twice' }, 409)
  t.equal(again.code, 'conflict')
  await post(app, other.token('admin'), url, { reason: 'Not ours' }, 404)
  await send(app, admin, 'POST', url, { reason: '   ' }, 400)

  const released = await app.inject({
    method: 'DELETE',
    url,
    headers: auth(admin),
    payload: { reason: 'Inquiry closed' }
  })
  t.equal(released.statusCode, 200)
  t.match(released.json(), { release_reason: 'Inquiry closed' })
  t.ok(released.json().released_at)
  t.equal(
    (await app.inject({ method: 'DELETE', url, headers: auth(admin) })).statusCode,
    404,
    'nothing left to release'
  )
  await post(app, admin, url, { reason: 'Held again' }, 201)

  const mentor = await post(app, coordinator, '/v1/mentors', {
    given_name: 'Jo',
    family_name: 'Held',
    email: 'jo.held@volunteer.example',
    gender: 'female',
    postcode: 'BR1 3AB',
    programme_ids: [programme]
  })
  const m = await post(
    app,
    admin,
    `/v1/mentors/${mentor.id as string}/legal-hold`,
    { reason: 'Allegation under review' },
    201
  )
  t.equal(m.mentor_id, mentor.id)
  t.equal(
    (await app.inject({ method: 'DELETE', url: `/v1/mentors/${mentor.id as string}/legal-hold`, headers: auth(admin) }))
      .statusCode,
    200
  )
})

t.test(
  'the retention job anonymises what is past its time, keeps what is held, and reports still add up',
  async (t) => {
    const {
      app,
      db,
      tenant,
      tokens: { admin, coordinator }
    } = await setUp(t, { worker: true })
    const today = todayLocal()
    const programme = await tenant.programme({ evaluation_interval_months: 12 })
    const summary = async (): Promise<any> => {
      const s = await send(
        app,
        coordinator,
        'GET',
        `/v1/reports/programme-summary?programme_id=${programme}&from=${addDays(today, -400)}&to=${today}`,
        undefined,
        200
      )
      delete s.generated_on
      // Waiting days are counted to today, which moves with the calendar, not with retention.
      return s
    }

    const declined = await post(
      app,
      coordinator,
      '/v1/referrals',
      referralBody(programme, { young_person: { date_of_birth: '2012-03-14', postcode: 'br1 3ab' } })
    )
    await post(
      app,
      coordinator,
      `/v1/referrals/${declined.id as string}/decline`,
      { reason_code: 'ineligible', note: 'Lives outside Bromley with Aunt Jane' },
      200
    )
    const withdrawn = await post(app, coordinator, '/v1/referrals', referralBody(programme))
    await post(
      app,
      coordinator,
      `/v1/referrals/${withdrawn.id as string}/withdraw`,
      { reason: 'Family moved to Leeds' },
      200
    )
    const held = await post(app, coordinator, '/v1/referrals', referralBody(programme))
    await post(
      app,
      coordinator,
      `/v1/referrals/${held.id as string}/decline`,
      { reason_code: 'other', note: 'Held note' },
      200
    )
    await post(app, admin, `/v1/referrals/${held.id as string}/legal-hold`, { reason: 'Inquiry' }, 201)
    const open = await post(app, coordinator, '/v1/referrals', referralBody(programme))

    const closed = await makeMatch(app, coordinator, programme)
    const session = await post(app, coordinator, `/v1/matches/${closed.matchId}/sessions`, {
      held_on: today,
      duration_minutes: 50,
      location_type: 'library',
      attended: true,
      notes: 'Talked about his brother Tom'
    })
    await post(app, coordinator, `/v1/matches/${closed.matchId}/goals`, {
      title: 'Join the Bromley chess club with Tom'
    })
    await post(
      app,
      coordinator,
      `/v1/matches/${closed.matchId}/evaluations`,
      { kind: 'annual', held_on: today, responses: [response('young_person', { confidence: 4 }, 'I like Jordan')] },
      201
    )
    await matchAction(app, coordinator, closed.matchId, 'close', {
      reason_code: 'goals_met',
      note: 'Moved in with grandmother'
    })

    const before = await summary()

    // Today nothing is past its time.
    const none = await runJob(app, admin, 'retention')
    t.equal(none.status, 'succeeded')
    t.equal(none.counts.referrals_anonymised, 0)

    // 24 months on: the declined and withdrawn referrals go; the held one and the closed one stay.
    const later = await runJob(app, admin, 'retention', addMonths(today, 24))
    t.equal(later.counts.referrals_anonymised, 2, JSON.stringify(later.counts))
    t.equal(later.counts.held_skipped, 1)
    const d = await send(app, coordinator, 'GET', `/v1/referrals/${declined.id as string}`, undefined, 200)
    t.match(d.young_person, {
      given_name: 'Anonymised',
      family_name: 'Anonymised',
      date_of_birth: '2012-01-01',
      postcode: 'BR1',
      care_status: 'none',
      school_year: 9
    })
    t.notOk('interests' in d.young_person)
    t.match(d.referrer, {
      name: 'Anonymised',
      email: 'anonymised@anonymised.invalid',
      organisation: 'Ravens Wood School',
      team: 'Pastoral'
    })
    t.equal(d.needs.statement, 'Anonymised')
    t.same(d.needs.areas, ['confidence', 'friendships'])
    t.equal(d.consent.parental.name, 'Anonymised')
    t.match(d.decline, { reason_code: 'ineligible', note: null })
    t.equal(d.status, 'declined')
    t.notMatch(JSON.stringify(d), /Amara|Okonkwo|Sam Teacher|sam\.teacher|Aunt Jane|BR1 3AB/)
    const disposals = await send(
      app,
      admin,
      'GET',
      `/v1/audit-events?action=dispose&resource_type=referral&referral_id=${declined.id as string}`,
      undefined,
      200
    )
    t.match(
      disposals.data,
      [
        {
          action: 'dispose',
          resource_type: 'referral',
          resource_id: declined.id,
          actor_role: 'system',
          actor_id: 'job:retention',
          request_id: later.id
        }
      ],
      'each disposal is an audit event'
    )
    t.equal(disposals.data.length, 1)
    t.equal(
      (
        await send(
          app,
          admin,
          'GET',
          `/v1/audit-events?action=dispose&referral_id=${held.id as string}`,
          undefined,
          200
        )
      ).data.length,
      0
    )
    const w = await send(app, coordinator, 'GET', `/v1/referrals/${withdrawn.id as string}`, undefined, 200)
    t.equal(w.withdrawal.reason, 'Anonymised')
    t.notMatch(
      JSON.stringify(
        await send(app, coordinator, 'GET', `/v1/referrals/${withdrawn.id as string}/history`, undefined, 200)
      ),
      /Leeds/
    )
    const h = await send(app, coordinator, 'GET', `/v1/referrals/${held.id as string}`, undefined, 200)
    t.equal(h.young_person.given_name, 'Amara', 'a held record is untouched')
    t.equal(h.decline.note, 'Held note')
    t.equal(
      (await send(app, coordinator, 'GET', `/v1/referrals/${open.id as string}`, undefined, 200)).young_person
        .given_name,
      'Amara',
      'an open referral is never due'
    )
    t.equal(
      (await send(app, coordinator, 'GET', `/v1/referrals/${closed.referralId}`, undefined, 200)).young_person
        .given_name,
      'Amara',
      'a closed referral waits 72 months'
    )

    // 72 months after the match closed: the closed referral and its match records go.
    const closing = await runJob(app, admin, 'retention', addMonths(today, 72))
    t.equal(closing.counts.referrals_anonymised, 1)
    t.equal(closing.counts.sessions_anonymised, 1)
    t.equal(closing.counts.goals_anonymised, 1)
    t.equal(closing.counts.evaluations_anonymised, 1)
    const m = await send(app, coordinator, 'GET', `/v1/matches/${closed.matchId}`, undefined, 200)
    t.equal(m.close_note ?? null, null)
    t.notMatch(JSON.stringify(m), /Grandmother|grandmother|School library/)
    const sessions = await send(app, coordinator, 'GET', `/v1/matches/${closed.matchId}/sessions`, undefined, 200)
    t.match(
      sessions.data.find((s: any) => s.id === session.id),
      { duration_minutes: 50, attended: true, held_on: today, notes: null }
    )
    const goals = await send(app, coordinator, 'GET', `/v1/matches/${closed.matchId}/goals`, undefined, 200)
    t.notMatch(JSON.stringify(goals), /chess|Tom/)
    const row = await db.selectFrom('evaluation_responses').select(['comments', 'confidence']).executeTakeFirstOrThrow()
    t.same(row, { comments: null, confidence: 4 }, 'outcome scores kept, comments gone')

    t.same(await summary(), before, 'the programme summary adds up as before')
    const kinds = (
      await send(
        app,
        admin,
        'GET',
        `/v1/audit-events?action=dispose&referral_id=${closed.referralId}&limit=200`,
        undefined,
        200
      )
    ).data
      .map((e: any) => e.resource_type)
      .sort()
    t.same(
      kinds.filter((k: string) => k !== 'notification'),
      ['evaluation', 'goal', 'match', 'referral', 'session'],
      'one event per record anonymised'
    )

    // A second run finds nothing more; the held referral is still held back.
    const again = await runJob(app, admin, 'retention', addMonths(today, 72))
    t.equal(again.counts.referrals_anonymised, 0)
    t.equal(again.counts.held_skipped, 1)
    // Released, it goes with the next run.
    t.equal(
      (
        await app.inject({
          method: 'DELETE',
          url: `/v1/referrals/${held.id as string}/legal-hold`,
          headers: auth(admin)
        })
      ).statusCode,
      200
    )
    t.equal((await runJob(app, admin, 'retention', addMonths(today, 72))).counts.referrals_anonymised, 1)
  }
)

t.test('notifications are anonymised after their class, and idempotency keys go after a day', async (t) => {
  const {
    app,
    db,
    tenant,
    tokens: { admin, coordinator }
  } = await setUp(t, { worker: true })
  const today = todayLocal()
  const programme = await tenant.programme()
  const key = 'retention-key-1'
  const first = await post(app, coordinator, '/v1/referrals', referralBody(programme), 201, { 'idempotency-key': key })
  const replay = await app.inject({
    method: 'POST',
    url: '/v1/referrals',
    headers: { ...auth(coordinator), 'idempotency-key': key },
    payload: referralBody(programme)
  })
  t.equal(replay.headers['idempotent-replayed'], 'true')

  const kept = await runJob(app, admin, 'retention', today)
  t.equal(kept.counts.idempotency_keys_deleted, 0, 'a key made today is kept')
  t.equal(
    (
      await app.inject({
        method: 'POST',
        url: '/v1/referrals',
        headers: { ...auth(coordinator), 'idempotency-key': key },
        payload: referralBody(programme)
      })
    ).json().id,
    first.id
  )

  const gone = await runJob(app, admin, 'retention', addDays(today, 2))
  t.equal(gone.counts.idempotency_keys_deleted, 1)
  t.equal((await db.selectFrom('idempotency_keys').select('key').execute()).length, 0, 'the stored response is gone')
  const fresh = await app.inject({
    method: 'POST',
    url: '/v1/referrals',
    headers: { ...auth(coordinator), 'idempotency-key': key },
    payload: referralBody(programme)
  })
  t.equal(fresh.statusCode, 201)
  t.not(fresh.json().id, first.id, 'the key is free again: a new referral')

  // A message being sent is locked by its sender, and retention leaves it to the next run: wait for the sends.
  await waitUntil(
    async () =>
      (await send(app, admin, 'GET', '/v1/notifications', undefined, 200)).data.every(
        (n: any) => n.status !== 'pending'
      ),
    15_000,
    'the acknowledgements to go out'
  )
  const notifications = await send(app, admin, 'GET', '/v1/notifications', undefined, 200)
  t.ok(notifications.data.length >= 1)
  const run = await runJob(app, admin, 'retention', addMonths(today, 24))
  t.equal(run.counts.notifications_anonymised, notifications.data.length)
  const after = await send(app, admin, 'GET', '/v1/notifications', undefined, 200)
  for (const n of after.data)
    t.match(n, { recipient: 'anonymised@anonymised.invalid', subject: 'Anonymised', kind: /./ })
})

t.test('concerns are kept 25 years from being raised, allegations by the class their outcome set', async (t) => {
  const {
    app,
    tenant,
    tokens: { admin, coordinator }
  } = await setUp(t, { worker: true })
  const today = todayLocal()
  const programme = await tenant.programme()
  const a = await makeMatch(app, coordinator, programme)
  const b = await makeMatch(app, coordinator, programme)
  const concern = await post(app, coordinator, '/v1/safeguarding-concerns', {
    match_id: a.matchId,
    category: 'disclosure',
    description: 'Said her uncle Bob shouts'
  })
  const close = async (id: string, outcome: string, note: string): Promise<void> => {
    await post(app, coordinator, `/v1/safeguarding-concerns/${id}/acknowledge`, {}, 200)
    await post(
      app,
      coordinator,
      `/v1/safeguarding-concerns/${id}/lado-referral`,
      { referred_on: today, lado_reference: `LADO-${id.slice(0, 6)}` },
      200
    )
    await post(app, admin, `/v1/safeguarding-concerns/${id}/outcome`, { outcome, note }, 200)
  }
  const unfounded = await post(app, coordinator, '/v1/safeguarding-concerns', {
    match_id: a.matchId,
    kind: 'allegation_about_mentor',
    category: 'mentor_conduct',
    description: 'Gave a lift home'
  })
  await close(unfounded.id, 'unfounded', 'The lift was arranged by the school')
  const substantiated = await post(app, coordinator, '/v1/safeguarding-concerns', {
    match_id: b.matchId,
    kind: 'allegation_about_mentor',
    category: 'mentor_conduct',
    description: 'Messaged privately'
  })
  await close(substantiated.id, 'substantiated', 'Messages seen')
  const open = await post(app, coordinator, '/v1/safeguarding-concerns', {
    match_id: b.matchId,
    kind: 'allegation_about_mentor',
    category: 'mentor_conduct',
    description: 'Still open'
  })
  const read = async (id: string): Promise<any> =>
    await send(app, coordinator, 'GET', `/v1/safeguarding-concerns/${id as string}`, undefined, 200)

  const tenYears = await runJob(app, admin, 'retention', addMonths(today, 120))
  t.equal(tenYears.counts.concerns_anonymised, 1, 'the unfounded allegation after 10 years')
  t.match(await read(unfounded.id), {
    description: 'Anonymised',
    outcome: { outcome: 'unfounded', note: 'Anonymised' },
    kind: 'allegation_about_mentor'
  })
  t.equal((await read(concern.id)).description, 'Said her uncle Bob shouts')
  t.equal((await read(substantiated.id)).description, 'Messaged privately')

  const quarter = await runJob(app, admin, 'retention', addMonths(today, 300))
  t.equal(quarter.counts.concerns_anonymised, 1, 'the concern about the young person after 25 years')
  t.match(await read(concern.id), { description: 'Anonymised', category: 'disclosure' })
  t.equal(
    (await read(substantiated.id)).description,
    'Messaged privately',
    'a substantiated allegation is kept 100 years'
  )
  t.equal((await read(open.id)).description, 'Still open', 'an allegation without an outcome is never due')

  const events = await send(app, admin, 'GET', `/v1/audit-events?action=dispose&resource_type=concern`, undefined, 200)
  t.same(events.data.map((e: any) => e.resource_id).sort(), [concern.id, unfounded.id].sort())
})
