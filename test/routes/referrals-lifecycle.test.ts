import t, { type Test } from 'tap'
import { referralBody } from '../support/bodies.js'
import { setUp } from '../support/set-up.js'
import { auth } from '../support/tokens.js'

t.test('referral lifecycle', async (t) => {
  const { app, tenant } = await setUp(t)
  const programme = await tenant.programme({})
  const referrerSub = 'referrer-lifecycle-1'
  const coordinatorSub = 'coordinator-lifecycle-1'
  const referrer = tenant.token('referrer', { sub: referrerSub })
  const coordinator = tenant.token('coordinator', { sub: coordinatorSub })

  const create = async (): Promise<{ id: string; reference: string }> => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(referrer),
      payload: referralBody(programme)
    })
    if (res.statusCode !== 201) throw new Error(res.body)
    return res.json()
  }
  const act = async (id: string, action: string, payload: Record<string, unknown> = {}, token = coordinator) =>
    await app.inject({ method: 'POST', url: `/v1/referrals/${id}/${action}`, headers: auth(token), payload })
  const statusOf = async (id: string): Promise<string> =>
    (await app.inject({ method: 'GET', url: `/v1/referrals/${id}`, headers: auth(coordinator) })).json().status
  const notifications = async (id: string): Promise<Array<{ kind: string; recipient: string; subject_id: string }>> => {
    const res = await app.inject({
      method: 'GET',
      url: `/v1/notifications?subject_id=${id}`,
      headers: auth(coordinator)
    })
    if (res.statusCode !== 200) throw new Error(res.body)
    return res.json().data
  }

  const BODIES: Record<string, Record<string, unknown>> = {
    'start-review': {},
    'request-information': { questions: 'Is the young person known to CAMHS?' },
    'provide-information': { answers: 'No, never referred.' },
    accept: {},
    decline: { reason_code: 'better_served_elsewhere', note: 'A youth worker is better placed' },
    withdraw: { reason: 'The young person changed their mind' }
  }

  /** Walks a fresh referral along `path` (each step must succeed) and returns its id. */
  const walk = async (t: Test, path: string[]): Promise<string> => {
    const { id } = await create()
    for (const step of path) {
      const res = await act(id, step, BODIES[step])
      t.equal(res.statusCode, 200, `${step}: ${res.body}`)
    }
    return id
  }

  t.test('every allowed transition', async (t) => {
    const allowed: Array<{ path: string[]; action: string; to: string }> = [
      { path: [], action: 'start-review', to: 'under_review' },
      { path: [], action: 'request-information', to: 'information_requested' },
      { path: [], action: 'accept', to: 'accepted' },
      { path: [], action: 'decline', to: 'declined' },
      { path: [], action: 'withdraw', to: 'withdrawn' },
      { path: ['start-review'], action: 'request-information', to: 'information_requested' },
      { path: ['start-review'], action: 'accept', to: 'accepted' },
      { path: ['start-review'], action: 'decline', to: 'declined' },
      { path: ['start-review'], action: 'withdraw', to: 'withdrawn' },
      { path: ['request-information'], action: 'provide-information', to: 'under_review' },
      { path: ['request-information'], action: 'decline', to: 'declined' },
      { path: ['request-information'], action: 'withdraw', to: 'withdrawn' },
      { path: ['accept'], action: 'decline', to: 'declined' },
      { path: ['accept'], action: 'withdraw', to: 'withdrawn' },
      {
        path: ['start-review', 'request-information', 'provide-information'],
        action: 'request-information',
        to: 'information_requested'
      }
    ]
    for (const a of allowed) {
      const id = await walk(t, a.path)
      const res = await act(id, a.action, BODIES[a.action])
      t.equal(res.statusCode, 200, `${['submitted', ...a.path].join(' > ')} > ${a.action}: ${res.body}`)
      t.equal(res.json().status, a.to)
      t.equal(await statusOf(id), a.to)
    }
  })

  t.test('forbidden transitions are 409 invalid_transition and change nothing', async (t) => {
    const forbidden: Array<{ path: string[]; action: string; from: string }> = [
      { path: ['decline'], action: 'accept', from: 'declined' },
      { path: ['decline'], action: 'withdraw', from: 'declined' },
      { path: ['decline'], action: 'decline', from: 'declined' },
      { path: ['decline'], action: 'start-review', from: 'declined' },
      { path: [], action: 'provide-information', from: 'submitted' },
      { path: ['start-review'], action: 'provide-information', from: 'under_review' },
      { path: ['withdraw'], action: 'withdraw', from: 'withdrawn' },
      { path: ['withdraw'], action: 'accept', from: 'withdrawn' },
      { path: ['withdraw'], action: 'request-information', from: 'withdrawn' },
      { path: ['accept'], action: 'accept', from: 'accepted' },
      { path: ['accept'], action: 'start-review', from: 'accepted' },
      { path: ['accept'], action: 'request-information', from: 'accepted' },
      { path: ['request-information'], action: 'accept', from: 'information_requested' },
      { path: ['request-information'], action: 'request-information', from: 'information_requested' },
      { path: ['start-review'], action: 'start-review', from: 'under_review' }
    ]
    for (const f of forbidden) {
      const id = await walk(t, f.path)
      const before = await app.inject({ method: 'GET', url: `/v1/referrals/${id}`, headers: auth(coordinator) })
      const res = await act(id, f.action, BODIES[f.action])
      t.equal(res.statusCode, 409, `${f.from} > ${f.action}: ${res.body}`)
      t.equal(res.json().code, 'invalid_transition')
      t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
      t.match(res.json().detail, f.from)
      const after = await app.inject({ method: 'GET', url: `/v1/referrals/${id}`, headers: auth(coordinator) })
      t.equal(after.json().status, f.from)
      t.equal(after.headers.etag, before.headers.etag)
    }
  })

  t.test('decline needs a reason code from the list', async (t) => {
    const { id } = await create()
    const missing = await act(id, 'decline', { note: 'no reason' })
    t.equal(missing.statusCode, 400, missing.body)
    t.same(
      missing.json().errors.map((e: { path: string }) => e.path),
      ['body/reason_code']
    )
    const bogus = await act(id, 'decline', { reason_code: 'does_not_like_them' })
    t.equal(bogus.statusCode, 400, bogus.body)
    t.same(
      bogus.json().errors.map((e: { path: string }) => e.path),
      ['body/reason_code']
    )
    t.match(bogus.json().errors[0].message, /needs_too_complex/)
    const noBody = await app.inject({ method: 'POST', url: `/v1/referrals/${id}/decline`, headers: auth(coordinator) })
    t.equal(noBody.statusCode, 400, noBody.body)
    t.equal(await statusOf(id), 'submitted')

    const ok = await act(id, 'decline', { reason_code: 'needs_too_complex', note: 'Needs specialist support' })
    t.equal(ok.statusCode, 200, ok.body)
    t.equal(ok.json().decline.reason_code, 'needs_too_complex')
    t.equal(ok.json().decline.note, 'Needs specialist support')
    t.ok(ok.json().closed_at)
  })

  t.test('request-information and withdraw need their text', async (t) => {
    const { id } = await create()
    const noQuestions = await act(id, 'request-information', {})
    t.equal(noQuestions.statusCode, 400, noQuestions.body)
    t.same(
      noQuestions.json().errors.map((e: { path: string }) => e.path),
      ['body/questions']
    )
    const noReason = await act(id, 'withdraw', {}, referrer)
    t.equal(noReason.statusCode, 400, noReason.body)
    t.same(
      noReason.json().errors.map((e: { path: string }) => e.path),
      ['body/reason']
    )
  })

  t.test(
    'request-information and decline each notify the referrer once; provide-information returns to review',
    async (t) => {
      const { id } = await create()
      const atIntake = await notifications(id)
      t.same(
        atIntake.map((n) => n.kind),
        ['referral_acknowledgement']
      )

      const asked = await act(id, 'request-information', { questions: 'Which school year is the young person in?' })
      t.equal(asked.statusCode, 200, asked.body)
      t.equal(asked.json().information_request.questions, 'Which school year is the young person in?')
      const afterAsk = await notifications(id)
      const requests = afterAsk.filter((n) => n.kind === 'referral_information_requested')
      t.equal(requests.length, 1, JSON.stringify(afterAsk))
      t.equal(requests[0].recipient, 'sam.teacher@school.example')
      t.equal(afterAsk.length, 2)

      const answered = await act(id, 'provide-information', { answers: 'Year 9.' }, referrer)
      t.equal(answered.statusCode, 200, answered.body)
      t.equal(answered.json().status, 'under_review')
      t.equal(answered.json().information_request.answers, 'Year 9.')
      t.ok(answered.json().information_request.answered_at)
      t.equal((await notifications(id)).length, 2, 'answering notifies nobody')

      const declined = await act(id, 'decline', { reason_code: 'no_mentor_available' })
      t.equal(declined.statusCode, 200, declined.body)
      const afterDecline = await notifications(id)
      const declines = afterDecline.filter((n) => n.kind === 'referral_declined')
      t.equal(declines.length, 1, JSON.stringify(afterDecline))
      t.equal(declines[0].recipient, 'sam.teacher@school.example')
      t.equal(afterDecline.length, 3)
      t.ok(afterDecline.every((n) => n.subject_id === id))
    }
  )

  t.test('a second round of questions is a second notification', async (t) => {
    const id = await walk(t, ['request-information', 'provide-information', 'request-information'])
    const kinds = (await notifications(id)).map((n) => n.kind).filter((k) => k === 'referral_information_requested')
    t.equal(kinds.length, 2)
  })

  t.test('roles: only a coordinator screens; a referrer answers and withdraws its own', async (t) => {
    const { id } = await create()
    for (const action of ['start-review', 'request-information', 'accept', 'decline']) {
      const res = await act(id, action, BODIES[action], referrer)
      t.equal(res.statusCode, 403, `${action}: ${res.body}`)
    }
    t.equal((await act(id, 'request-information', BODIES['request-information'])).statusCode, 200)
    t.equal((await act(id, 'provide-information', BODIES['provide-information'], referrer)).statusCode, 200)
    t.equal((await act(id, 'withdraw', BODIES.withdraw, referrer)).statusCode, 200)
    t.equal(await statusOf(id), 'withdrawn')
  })

  t.test('history lists each change with who, role, why and when, in order', async (t) => {
    const started = Date.now()
    const { id } = await create()
    t.equal((await act(id, 'start-review', { note: 'Looks suitable' })).statusCode, 200)
    t.equal((await act(id, 'request-information', { questions: 'Any other services involved?' })).statusCode, 200)
    t.equal((await act(id, 'provide-information', { answers: 'School nurse only.' }, referrer)).statusCode, 200)
    t.equal((await act(id, 'accept', { note: 'Good fit for the programme' })).statusCode, 200)
    t.equal((await act(id, 'withdraw', { reason: 'Family moved out of the area' }, referrer)).statusCode, 200)

    const res = await app.inject({ method: 'GET', url: `/v1/referrals/${id}/history`, headers: auth(coordinator) })
    t.equal(res.statusCode, 200, res.body)
    const entries = res.json().data as Array<{
      from_status: string | null
      to_status: string
      actor_id: string
      actor_role: string
      reason: string | null
      at: string
    }>
    t.same(
      entries.map((e) => [e.from_status, e.to_status]),
      [
        [null, 'submitted'],
        ['submitted', 'under_review'],
        ['under_review', 'information_requested'],
        ['information_requested', 'under_review'],
        ['under_review', 'accepted'],
        ['accepted', 'withdrawn']
      ]
    )
    t.same(
      entries.map((e) => e.actor_id),
      [referrerSub, coordinatorSub, coordinatorSub, referrerSub, coordinatorSub, referrerSub]
    )
    t.same(
      entries.map((e) => e.actor_role),
      ['referrer', 'coordinator', 'coordinator', 'referrer', 'coordinator', 'referrer']
    )
    t.equal(entries[1].reason, 'Looks suitable')
    t.equal(entries[4].reason, 'Good fit for the programme')
    t.equal(entries[5].reason, 'Family moved out of the area')
    const times = entries.map((e) => Date.parse(e.at))
    t.ok(
      times.every((x) => Number.isFinite(x) && x >= started - 1000 && x <= Date.now() + 1000),
      'times are real instants'
    )
    t.same(
      times,
      [...times].sort((a, b) => a - b),
      'in order'
    )

    const declinedId = await walk(t, ['decline'])
    const declined = (
      await app.inject({ method: 'GET', url: `/v1/referrals/${declinedId}/history`, headers: auth(referrer) })
    ).json().data
    t.equal(declined.at(-1).reason, 'better_served_elsewhere', 'the decline reason is kept')
    t.equal(declined.at(-1).to_status, 'declined')
  })

  t.test('unknown referral is 404 for every action', async (t) => {
    const missing = '00000000-0000-4000-8000-000000000000'
    for (const action of Object.keys(BODIES)) {
      const res = await act(missing, action, BODIES[action])
      t.equal(res.statusCode, 404, `${action}: ${res.body}`)
    }
    t.equal(
      (await app.inject({ method: 'GET', url: `/v1/referrals/${missing}/history`, headers: auth(coordinator) }))
        .statusCode,
      404
    )
    t.equal(
      (await app.inject({ method: 'GET', url: '/v1/referrals/not-a-uuid', headers: auth(coordinator) })).statusCode,
      400
    )
  })
})
