import t from 'tap'
import { referralBody } from '../support/bodies.js'
import { makeMatch } from '../support/matches.js'
import { post, send } from '../support/requests.js'
import { setUp } from '../support/set-up.js'
import { todayLocal } from '../support/time.js'
import { auth } from '../support/tokens.js'
import { addDays } from '../../src/lib/dates.js'

const requester = { name: 'Ngozi Okonkwo', relationship: 'mother' }
const sar = (subject: Record<string, unknown>, receivedOn: string): Record<string, unknown> => ({
  subject,
  received_on: receivedOn,
  requester,
  identity_verified: true
})

t.test('due dates, extensions, completion and the queue of what is due first', async (t) => {
  const {
    app,
    tenant,
    other,
    tokens: { admin, coordinator }
  } = await setUp(t, { other: true })
  const programme = await tenant.programme()
  const referral = await post(app, coordinator, '/v1/referrals', referralBody(programme))
  const subject = { type: 'young_person', referral_id: referral.id }

  await post(app, coordinator, '/v1/subject-access-requests', sar(subject, '2025-01-31'), 403)
  for (const [received, due] of [
    ['2025-01-31', '2025-02-28'],
    ['2024-01-31', '2024-02-29'],
    ['2025-08-31', '2025-09-30'],
    ['2025-03-15', '2025-04-15'],
    ['2025-12-31', '2026-01-31']
  ]) {
    const r = await post(app, admin, '/v1/subject-access-requests', sar(subject, received))
    t.equal(r.due_on, due, `received ${received}: due ${due}`)
    t.equal(r.status, 'open')
  }
  const created = await post(app, admin, '/v1/subject-access-requests', sar(subject, '2025-01-31'))
  t.match(created.records, [{ type: 'referral', id: referral.id, reference: referral.reference }])
  t.same(created.requester, requester)

  const extended = await post(
    app,
    admin,
    `/v1/subject-access-requests/${created.id as string}/extend`,
    { months: 1, reason: 'Records across programmes' },
    200
  )
  t.equal(extended.due_on, '2025-03-31', 'two months from receipt: the last day of March')
  t.equal(extended.extended_months, 1)
  const beyond = await post(
    app,
    admin,
    `/v1/subject-access-requests/${created.id as string}/extend`,
    { months: 2, reason: 'More' },
    422
  )
  t.equal(beyond.reasons[0].code, 'extension_limit', 'beyond three months in all')
  const most = await post(
    app,
    admin,
    `/v1/subject-access-requests/${created.id as string}/extend`,
    { months: 1, reason: 'Complex' },
    200
  )
  t.equal(most.due_on, '2025-04-30', 'three months from receipt')
  t.equal(most.extensions.length, 2)
  await post(
    app,
    admin,
    `/v1/subject-access-requests/${created.id as string}/extend`,
    { months: 1, reason: 'Again' },
    422
  )
  await post(
    app,
    admin,
    `/v1/subject-access-requests/${created.id as string}/extend`,
    { months: 3, reason: 'Too many' },
    400
  )
  await post(
    app,
    admin,
    `/v1/subject-access-requests/${created.id as string}/extend`,
    { months: '1', reason: 'Text' },
    400
  )

  const early = await post(
    app,
    admin,
    `/v1/subject-access-requests/${created.id as string}/complete`,
    { sent_on: '2025-01-30' },
    400
  )
  t.equal(early.errors[0].path, 'body/sent_on')
  await post(
    app,
    admin,
    `/v1/subject-access-requests/${created.id as string}/complete`,
    { sent_on: addDays(todayLocal(), 1) },
    400
  )
  const done = await post(
    app,
    admin,
    `/v1/subject-access-requests/${created.id as string}/complete`,
    { sent_on: '2025-04-01' },
    200
  )
  t.match(done, { status: 'completed', sent_on: '2025-04-01' })
  await post(app, admin, `/v1/subject-access-requests/${created.id as string}/complete`, { sent_on: '2025-04-02' }, 409)
  await post(
    app,
    admin,
    `/v1/subject-access-requests/${created.id as string}/extend`,
    { months: 1, reason: 'Late' },
    409
  )

  const open = await send(app, admin, 'GET', '/v1/subject-access-requests?status=open', undefined, 200)
  t.same(
    open.data.map((r: any) => r.due_on),
    ['2024-02-29', '2025-02-28', '2025-04-15', '2025-09-30', '2026-01-31'],
    'open requests, due first'
  )
  const pages: string[] = []
  let cursor: string | null = null
  do {
    const page: any = await send(
      app,
      admin,
      'GET',
      `/v1/subject-access-requests?status=open&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`,
      undefined,
      200
    )
    pages.push(...page.data.map((r: any) => r.due_on))
    cursor = page.next_cursor
  } while (cursor !== null)
  t.same(
    pages,
    open.data.map((r: any) => r.due_on),
    'pages walk the same order'
  )
  t.equal(
    (await send(app, admin, 'GET', '/v1/subject-access-requests?status=completed', undefined, 200)).data.length,
    1
  )
  t.equal((await send(app, admin, 'GET', '/v1/subject-access-requests', undefined, 200)).data.length, 6)
  await send(app, other.token('admin'), 'GET', `/v1/subject-access-requests/${created.id as string}`, undefined, 404)
  t.equal((await send(app, other.token('admin'), 'GET', '/v1/subject-access-requests', undefined, 200)).data.length, 0)
})

t.test('bad input and subjects that match nothing', async (t) => {
  const {
    app,
    tenant,
    other,
    tokens: { admin, coordinator }
  } = await setUp(t, { other: true })
  const programme = await tenant.programme()
  const referral = await post(app, coordinator, '/v1/referrals', referralBody(programme))
  const today = todayLocal()

  const future = await post(
    app,
    admin,
    '/v1/subject-access-requests',
    sar({ type: 'young_person', referral_id: referral.id }, addDays(today, 1)),
    400
  )
  t.equal(future.errors[0].path, 'body/received_on')
  const missing = await post(
    app,
    admin,
    '/v1/subject-access-requests',
    sar({ type: 'young_person', given_name: 'Amara' }, today),
    400
  )
  t.same(missing.errors.map((e: any) => e.path).sort(), ['body/subject/date_of_birth', 'body/subject/family_name'])
  const mentorDob = await post(
    app,
    admin,
    '/v1/subject-access-requests',
    sar({ type: 'mentor', given_name: 'Jo', family_name: 'X', date_of_birth: '1990-01-01' }, today),
    400
  )
  t.equal(mentorDob.errors[0].path, 'body/subject/date_of_birth')
  await post(app, admin, '/v1/subject-access-requests', sar({ type: 'someone' }, today), 400)
  await post(
    app,
    admin,
    '/v1/subject-access-requests',
    { ...sar({ type: 'young_person', referral_id: referral.id }, today), identity_verified: 'yes' },
    400
  )

  const nobody = await post(
    app,
    admin,
    '/v1/subject-access-requests',
    sar({ type: 'young_person', given_name: 'Nobody', family_name: 'Here', date_of_birth: '2011-01-01' }, today),
    422
  )
  t.match(nobody, { code: 'rule_refused', reasons: [{ code: 'young_person_not_found' }] })
  const foreign = await post(
    app,
    other.token('admin'),
    '/v1/subject-access-requests',
    sar({ type: 'young_person', referral_id: referral.id }, today),
    422
  )
  t.equal(foreign.reasons[0].code, 'referral_not_found', "another organisation's referral is nothing to it")
  const noMentor = await post(
    app,
    admin,
    '/v1/subject-access-requests',
    sar({ type: 'mentor', mentor_id: referral.id }, today),
    422
  )
  t.equal(noMentor.reasons[0].code, 'mentor_not_found')
  const byName = await post(
    app,
    admin,
    '/v1/subject-access-requests',
    sar(
      { type: 'young_person', given_name: ' amara ', family_name: 'OKONKWO-TEST', date_of_birth: '2012-03-14' },
      today
    )
  )
  t.same(
    byName.records.map((r: any) => r.id),
    [referral.id],
    'found by name and date of birth, whatever the case'
  )

  // A referral a coordinator linked as the same young person is theirs too, under another spelling.
  const spelt = await post(
    app,
    coordinator,
    '/v1/referrals',
    referralBody(programme, { young_person: { given_name: 'Amarah' } })
  )
  const link = await app.inject({
    method: 'POST',
    url: `/v1/referrals/${referral.id as string}/link`,
    headers: auth(coordinator),
    payload: { referral_id: spelt.id }
  })
  t.ok(link.statusCode < 300, link.body)
  const linked = await post(
    app,
    admin,
    '/v1/subject-access-requests',
    sar({ type: 'young_person', referral_id: referral.id }, today)
  )
  t.same(
    linked.records
      .filter((r: any) => r.type === 'referral')
      .map((r: any) => r.id)
      .sort(),
    [referral.id, spelt.id].sort(),
    'linked referrals included'
  )
})

t.test("the export of a young person: every referral of that child, their records, and nobody else's", async (t) => {
  const {
    app,
    tenant,
    tokens: { admin, coordinator }
  } = await setUp(t)
  const today = todayLocal()
  const programme = await tenant.programme()
  const { matchId, referralId, mentorId } = await makeMatch(app, coordinator, programme)
  const second = await post(
    app,
    coordinator,
    '/v1/referrals',
    referralBody(programme, { young_person: { given_name: 'AMARA' } })
  )
  const someoneElse = await post(
    app,
    coordinator,
    '/v1/referrals',
    referralBody(programme, { young_person: { given_name: 'Zainab', family_name: 'Other-Child' } })
  )
  const session = await post(app, coordinator, `/v1/matches/${matchId}/sessions`, {
    held_on: today,
    duration_minutes: 60,
    location_type: 'library',
    attended: true,
    notes: 'Library visit'
  })
  await post(app, coordinator, `/v1/matches/${matchId}/goals`, { title: 'Read a book a month' })
  await post(app, coordinator, '/v1/safeguarding-concerns', {
    match_id: matchId,
    category: 'disclosure',
    description: 'Mentioned trouble at home'
  })
  await send(app, coordinator, 'GET', `/v1/referrals/${referralId}`, undefined, 200, {
    'x-access-purpose': 'case review'
  })

  const request = await post(
    app,
    admin,
    '/v1/subject-access-requests',
    sar({ type: 'young_person', referral_id: referralId }, today)
  )
  t.same(
    request.records
      .filter((r: any) => r.type === 'referral')
      .map((r: any) => r.id)
      .sort(),
    [referralId, second.id].sort(),
    'both referrals of the child'
  )
  await send(app, coordinator, 'GET', `/v1/subject-access-requests/${request.id as string}/export`, undefined, 403)
  const res = await app.inject({
    method: 'GET',
    url: `/v1/subject-access-requests/${request.id as string}/export`,
    headers: auth(admin)
  })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  const doc = res.json()
  t.equal(doc.subject.type, 'young_person')
  t.same(doc.records.referrals.map((r: any) => r.id).sort(), [referralId, second.id].sort())
  t.equal(doc.records.matches.length, 1)
  t.equal(doc.records.matches[0].mentor_id, mentorId)
  t.same(
    doc.records.sessions.map((s: any) => s.id),
    [session.id]
  )
  t.equal(doc.records.sessions[0].notes, 'Library visit')
  t.equal(doc.records.goals.length, 1)
  t.equal(doc.records.safeguarding_concerns.length, 1)
  t.ok(doc.notifications.length >= 2, 'the acknowledgements and the concern alert')
  t.ok(doc.notifications.every((n: any) => n.recipient === '[redacted]'))
  t.ok(
    doc.access_log.some((e: any) => e.purpose === 'case review' && e.resource_id === referralId),
    'the access log, with purposes'
  )
  for (const r of doc.records.referrals) t.equal(r.referrer.email, '[redacted]')
  const text = res.body
  t.notMatch(text, /sam\.teacher@school\.example/, "the referrer's contact details are left out")
  t.notMatch(text, /Zainab|Other-Child/, 'another young person is left out')
  t.notMatch(text, new RegExp(someoneElse.id as string))
  t.ok(doc.sources.length > 0 && doc.redactions.length > 0)

  // One export event per record in it, naming the young person.
  const events = await send(app, admin, 'GET', `/v1/audit-events?action=export&limit=200`, undefined, 200)
  const count =
    doc.records.referrals.length +
    doc.records.matches.length +
    doc.records.sessions.length +
    doc.records.goals.length +
    doc.records.evaluations.length +
    doc.records.safeguarding_concerns.length +
    doc.notifications.length
  t.equal(events.data.length, count, 'one event per record exported')
  t.ok(events.data.every((e: any) => e.actor_role === 'admin' && [referralId, second.id].includes(e.referral_id)))
  const log = await send(app, coordinator, 'GET', `/v1/referrals/${referralId}/access-log?limit=200`, undefined, 200)
  t.ok(
    log.data.some((e: any) => e.action === 'export' && e.resource_type === 'session' && e.resource_id === session.id),
    "the export is in the child's access log"
  )
})

t.test('the export of a mentor: vetting records and DBS metadata, without the young people', async (t) => {
  const {
    app,
    tenant,
    tokens: { admin, coordinator }
  } = await setUp(t)
  const programme = await tenant.programme()
  const { mentorId, matchId } = await makeMatch(app, coordinator, programme)
  const allegation = await post(app, coordinator, '/v1/safeguarding-concerns', {
    match_id: matchId,
    kind: 'allegation_about_mentor',
    category: 'mentor_conduct',
    description: 'Amara said the mentor shouted'
  })
  const request = await post(
    app,
    admin,
    '/v1/subject-access-requests',
    sar({ type: 'mentor', mentor_id: mentorId }, todayLocal())
  )
  t.same(request.records, [{ type: 'mentor', id: mentorId }])
  const res = await app.inject({
    method: 'GET',
    url: `/v1/subject-access-requests/${request.id as string}/export`,
    headers: auth(admin)
  })
  t.equal(res.statusCode, 200)
  const doc = res.json()
  t.equal(doc.records.mentors[0].id, mentorId)
  t.equal(doc.records.dbs_checks.length, 1)
  t.equal(doc.records.dbs_checks[0].certificate_number, '001234567890', 'DBS metadata')
  t.equal(doc.records.interviews.length, 1)
  t.equal(doc.records.references.length, 2)
  t.ok(
    doc.records.references.every((r: any) => r.referee_name === '[redacted]'),
    'referees are other people'
  )
  t.ok(doc.records.trainings.length >= 2)
  t.equal(doc.records.matches.length, 1)
  t.match(
    doc.records.allegations,
    [{ id: allegation.id, kind: 'allegation_about_mentor', category: 'mentor_conduct' }],
    'allegations about the mentor, without what was reported'
  )
  t.notMatch(res.body, /Amara|Okonkwo|Referee 0|shouted/, 'no young person, no referee')
  const byName = await post(
    app,
    admin,
    '/v1/subject-access-requests',
    sar({ type: 'mentor', given_name: 'jordan', family_name: 'Mentor-Test' }, todayLocal())
  )
  t.same(byName.records, [{ type: 'mentor', id: mentorId }])
})
