import t from 'tap'
import { referralBody } from '../support/bodies.js'
import { makeMatch } from '../support/matches.js'
import { vettedMentor } from '../support/mentors.js'
import { post, send } from '../support/requests.js'
import { setUp } from '../support/set-up.js'
import { todayLocal } from '../support/time.js'
import { auth } from '../support/tokens.js'

t.test('an allegation about a mentor', async (t) => {
  const {
    app,
    db,
    tenant,
    tokens: { admin, coordinator }
  } = await setUp(t)
  const secondAdmin = tenant.token('admin', { sub: 'admin-two' })
  const programmeId = await tenant.programme()
  const url = (id: string, step: string): string => `/v1/safeguarding-concerns/${id}/${step}`
  const status = async (
    token: string,
    method: 'GET' | 'POST',
    path: string,
    payload?: unknown
  ): Promise<{ status: number; body: any }> => {
    const res = await app.inject({
      method,
      url: path,
      headers: auth(token),
      ...(payload !== undefined ? { payload: payload as any } : {})
    })
    return { status: res.statusCode, body: res.json() }
  }
  /** Acknowledged, referred to the LADO and given an outcome by `by`. */
  const close = async (id: string, by: string, outcome = 'unfounded'): Promise<void> => {
    await post(app, coordinator, url(id, 'acknowledge'), {}, 200)
    await post(
      app,
      coordinator,
      url(id, 'lado-referral'),
      { referred_on: todayLocal(), lado_reference: 'LADO/2026/200' },
      200
    )
    await post(app, by, url(id, 'outcome'), { outcome, note: 'The LADO advised no further action.' }, 200)
  }

  t.test(
    'suspends the mentor at once: no access, active matches paused with history; then a second person reinstates',
    async (t) => {
      const match = await makeMatch(app, coordinator, programmeId)
      const mentor = tenant.token('mentor', { mentorId: match.mentorId })
      t.equal(
        (await status(mentor, 'GET', `/v1/matches/${match.matchId}`)).status,
        200,
        'the mentor reads its match before'
      )
      const raised = await post(
        app,
        coordinator,
        '/v1/safeguarding-concerns',
        {
          match_id: match.matchId,
          kind: 'allegation_about_mentor',
          category: 'mentor_conduct',
          description: 'The young person said the mentor asked to meet at home.'
        },
        201
      )
      t.equal(raised.mentor_id, match.mentorId, 'the mentor of the match')
      t.equal(raised.mentor_suspended, true)
      t.ok(raised.lado_referral.due_at, 'a LADO deadline is open')
      t.equal(raised.lado_referral.due_at, raised.acknowledgement.due_at, '23:59 on the next working day')
      const events = await db
        .selectFrom('audit_events')
        .select(['action', 'resource_type', 'resource_id', 'referral_id', 'mentor_id', 'request_id'])
        .where(
          'request_id',
          '=',
          (
            await db
              .selectFrom('audit_events')
              .select('request_id')
              .where('resource_id', '=', raised.id)
              .executeTakeFirstOrThrow()
          ).request_id
        )
        .orderBy('resource_type')
        .execute()
      t.same(
        events.map((e) => [e.action, e.resource_type, e.resource_id]),
        [
          ['create', 'concern', raised.id],
          ['status_change', 'match', match.matchId],
          ['status_change', 'mentor', match.mentorId]
        ],
        'the concern, the suspension and the paused match are access events of the one request'
      )

      const mentorRecord = await send(app, coordinator, 'GET', `/v1/mentors/${match.mentorId}`, undefined, 200)
      t.equal(mentorRecord.status, 'suspended')
      for (const path of [`/v1/matches/${match.matchId}`, `/v1/mentors/${match.mentorId}`]) {
        t.equal((await status(mentor, 'GET', path)).status, 404, `the mentor reads nothing: ${path}`)
      }
      t.same((await status(mentor, 'GET', '/v1/matches')).body.data, [])
      const m = await send(app, coordinator, 'GET', `/v1/matches/${match.matchId}`, undefined, 200)
      t.equal(m.status, 'paused', 'the active match is paused')
      const history = await send(app, coordinator, 'GET', `/v1/matches/${match.matchId}/history`, undefined, 200)
      const last = (history.data ?? history).at(-1)
      t.match(last, { from_status: 'active', to_status: 'paused' })
      t.notMatch(JSON.stringify(history), /home/, 'the match history does not repeat the allegation')
      const mentorHistory = await send(app, coordinator, 'GET', `/v1/mentors/${match.mentorId}/history`, undefined, 200)
      t.match((mentorHistory.data ?? mentorHistory).at(-1), { from_status: 'approved', to_status: 'suspended' })

      const early = await status(coordinator, 'POST', `/v1/mentors/${match.mentorId}/reinstate`, {})
      t.equal(early.status, 409, 'not before the outcome')
      t.equal(early.body.reasons[0].code, 'allegation_outcome_missing')
      await close(raised.id, admin)
      const same = await status(admin, 'POST', `/v1/mentors/${match.mentorId}/reinstate`, {})
      t.equal(same.status, 403, 'not by the admin who recorded the outcome')
      t.equal(same.body.reasons[0].code, 'second_person_required')
      t.equal(
        (await send(app, coordinator, 'GET', `/v1/mentors/${match.mentorId}`, undefined, 200)).status,
        'suspended',
        'still suspended'
      )
      const back = await post(app, secondAdmin, `/v1/mentors/${match.mentorId}/reinstate`, {}, 200)
      t.equal(back.status, 'approved', 'a second admin reinstates')
      t.equal(
        (await status(mentor, 'GET', `/v1/mentors/${match.mentorId}`)).status,
        200,
        'access back with the reinstatement'
      )
    }
  )

  t.test(
    "a coordinator other than the outcome's admin may reinstate too; a later suspension does not need the old allegation again",
    async (t) => {
      const match = await makeMatch(app, coordinator, programmeId)
      const raised = await post(
        app,
        coordinator,
        '/v1/safeguarding-concerns',
        {
          referral_id: match.referralId,
          mentor_id: match.mentorId,
          kind: 'allegation_about_mentor',
          category: 'mentor_conduct',
          description: 'Messages late at night.'
        },
        201
      )
      t.equal(raised.mentor_suspended, true)
      await close(raised.id, admin, 'malicious')
      await post(app, coordinator, `/v1/mentors/${match.mentorId}/reinstate`, {}, 200)
      // A suspension for another reason, by the same admin's decision: the old outcome is spent.
      await post(app, coordinator, `/v1/mentors/${match.mentorId}/suspend`, { reason: 'DBS review' }, 200)
      t.equal(
        (await status(admin, 'POST', `/v1/mentors/${match.mentorId}/reinstate`, {})).status,
        200,
        'the earlier outcome does not bind a later reinstatement'
      )
    }
  )

  t.test("a referrer raises one about its referral's match", async (t) => {
    const referrer = tenant.token('referrer', { sub: 'own-referrer' })
    const mentorId = await vettedMentor(app, coordinator, [programmeId], { since: '2026-10-01' })
    const referral = await post(app, referrer, '/v1/referrals', referralBody(programmeId), 201)
    await post(app, coordinator, `/v1/referrals/${referral.id as string}/accept`, {}, 200)
    const m = await post(
      app,
      coordinator,
      '/v1/matches',
      {
        referral_id: referral.id,
        mentor_id: mentorId,
        introduction: { scheduled_at: new Date().toISOString(), location: 'School' }
      },
      201
    )
    const raised = await post(
      app,
      referrer,
      '/v1/safeguarding-concerns',
      {
        match_id: m.id,
        kind: 'allegation_about_mentor',
        category: 'mentor_conduct',
        description: 'Gave the young person a phone.'
      },
      201
    )
    t.equal(raised.mentor_id, null, "the referrer is not shown the mentor's id")
    t.equal(raised.mentor_suspended, true)
    t.equal(
      (await send(app, coordinator, 'GET', `/v1/safeguarding-concerns/${raised.id as string}`, undefined, 200))
        .mentor_id,
      mentorId,
      'the mentor of the match'
    )
    t.equal((await send(app, coordinator, 'GET', `/v1/mentors/${mentorId}`, undefined, 200)).status, 'suspended')
    t.equal(
      (await send(app, coordinator, 'GET', `/v1/matches/${m.id as string}`, undefined, 200)).status,
      'proposed',
      'only active matches pause'
    )
  })

  t.test('a mentor names another mentor, never itself', async (t) => {
    const match = await makeMatch(app, coordinator, programmeId)
    const mentor = tenant.token('mentor', { mentorId: match.mentorId })
    const self = await status(mentor, 'POST', '/v1/safeguarding-concerns', {
      match_id: match.matchId,
      kind: 'allegation_about_mentor',
      category: 'mentor_conduct',
      description: 'x'
    })
    t.equal(self.status, 400)
    t.equal(self.body.errors[0].path, 'body/mentor_id')
    const named = await status(mentor, 'POST', '/v1/safeguarding-concerns', {
      match_id: match.matchId,
      mentor_id: match.mentorId,
      kind: 'allegation_about_mentor',
      category: 'mentor_conduct',
      description: 'x'
    })
    t.equal(named.status, 400)
    t.equal(
      (await send(app, coordinator, 'GET', `/v1/mentors/${match.mentorId}`, undefined, 200)).status,
      'approved',
      'nothing happened'
    )
  })

  t.test('a mentor still in vetting is not approved while an allegation is open', async (t) => {
    const mentorId = await vettedMentor(app, coordinator, [programmeId], { since: '2026-10-01', approve: false })
    const raised = await post(
      app,
      coordinator,
      '/v1/safeguarding-concerns',
      {
        referral_id: (await makeMatch(app, coordinator, programmeId, { activate: false })).referralId,
        mentor_id: mentorId,
        kind: 'allegation_about_mentor',
        category: 'mentor_conduct',
        description: 'A reference raised a concern.'
      },
      201
    )
    t.equal(raised.mentor_suspended, false, 'nothing to suspend yet')
    const refused = await status(coordinator, 'POST', `/v1/mentors/${mentorId}/approve`, {})
    t.equal(refused.status, 422)
    t.equal(refused.body.reasons[0].code, 'allegation_open')
    await close(raised.id, admin)
    t.equal((await status(coordinator, 'POST', `/v1/mentors/${mentorId}/approve`, {})).status, 200)
  })

  t.test('an allegation about staff suspends nobody', async (t) => {
    const match = await makeMatch(app, coordinator, programmeId)
    const raised = await post(
      app,
      coordinator,
      '/v1/safeguarding-concerns',
      {
        match_id: match.matchId,
        kind: 'allegation_about_staff',
        category: 'other',
        description: 'About a youth worker.'
      },
      201
    )
    t.equal(raised.mentor_id, null)
    t.equal(raised.mentor_suspended, false)
    t.ok(raised.lado_referral.due_at)
    t.equal((await send(app, coordinator, 'GET', `/v1/mentors/${match.mentorId}`, undefined, 200)).status, 'approved')
  })
})
