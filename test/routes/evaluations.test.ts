import t from 'tap'
import { makeMatch, matchAction, response } from '../support/matches.js'
import { setUp } from '../support/set-up.js'
import { todayLocal } from '../support/time.js'
import { auth } from '../support/tokens.js'
import { addDays, addMonths } from '../../src/lib/dates.js'

t.test('evaluations', async (t) => {
  const {
    app,
    db,
    tenant,
    other,
    tokens: { coordinator }
  } = await setUp(t, { other: true })
  const today = todayLocal()
  const programme = await tenant.programme({ evaluation_interval_months: 12, early_review_months: 3 })
  const first = await makeMatch(app, coordinator, programme)
  const second = await makeMatch(app, coordinator, programme)
  const mentor = tenant.token('mentor', { mentorId: first.mentorId })
  const list = async (token: string, query = ''): Promise<any> => {
    const res = await app.inject({ method: 'GET', url: `/v1/evaluations${query}`, headers: auth(token) })
    if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`)
    return res.json()
  }
  const record = async (token: string, matchId: string, payload: Record<string, unknown>): Promise<any> =>
    await app.inject({ method: 'POST', url: `/v1/matches/${matchId}/evaluations`, headers: auth(token), payload })

  t.test('activating a match schedules an early review and the first annual evaluation', async (t) => {
    const page = await list(coordinator, `?match_id=${first.matchId}`)
    t.same(
      page.data.map((e: any) => [e.kind, e.sequence, e.due_on, e.status, e.overdue]),
      [
        ['early_review', 1, addMonths(today, 3), 'due', false],
        ['annual', 1, addMonths(today, 12), 'due', false]
      ]
    )
    t.equal(page.next_cursor, null)
  })

  t.test('a proposed match owes nothing yet', async (t) => {
    const proposed = await makeMatch(app, coordinator, programme, { activate: false })
    t.same((await list(coordinator, `?match_id=${proposed.matchId}`)).data, [])
    const res = await record(coordinator, proposed.matchId, {
      held_on: today,
      responses: [response('young_person', { confidence: 3 })]
    })
    t.equal(res.statusCode, 409, res.body)
    t.equal(res.json().reasons[0].code, 'match_not_started')
  })

  t.test('filters, keyset pages and who sees what', async (t) => {
    const all = await list(coordinator, `?programme_id=${programme}&limit=200`)
    const p1 = await list(coordinator, `?programme_id=${programme}&limit=2`)
    t.equal(p1.data.length, 2)
    const p2 = await list(coordinator, `?programme_id=${programme}&limit=2&cursor=${p1.next_cursor as string}`)
    t.same(
      [...p1.data, ...p2.data].map((e: any) => e.id),
      all.data.slice(0, 4).map((e: any) => e.id),
      'pages continue in due-date order'
    )
    t.same(
      (await list(coordinator, `?due_before=${addMonths(today, 6)}&programme_id=${programme}`)).data.map(
        (e: any) => e.kind
      ),
      ['early_review', 'early_review']
    )
    t.same((await list(coordinator, `?kind=annual&programme_id=${programme}`)).data.length, 2)
    // The mentor sees its own match's evaluations only.
    const mine = await list(mentor)
    t.same(new Set(mine.data.map((e: any) => e.match_id)), new Set([first.matchId]))
    t.equal(
      (await app.inject({ method: 'GET', url: '/v1/evaluations', headers: auth(tenant.token('referrer')) })).statusCode,
      403
    )
    t.same((await list(other.token('coordinator'))).data, [], 'another organisation sees none')
    const bad = await app.inject({
      method: 'GET',
      url: '/v1/evaluations?status=late&due_before=tomorrow',
      headers: auth(coordinator)
    })
    t.equal(bad.statusCode, 400)
    const paths = bad.json().errors.map((e: any) => e.path)
    t.ok(paths.includes('query/status') && paths.includes('query/due_before'), paths.join())
  })

  t.test('bad recordings are 400s naming the field', async (t) => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        { held_on: today, responses: [response('young_person', { confidence: 6 })] },
        'body/responses/0/measures/confidence'
      ],
      [
        { held_on: today, responses: [response('young_person', { confidence: 0 })] },
        'body/responses/0/measures/confidence'
      ],
      [{ held_on: today, responses: [response('sibling', { confidence: 3 })] }, 'body/responses/0/respondent'],
      [{ held_on: today, responses: [response('young_person', {})] }, 'body/responses/0/measures'],
      [
        { held_on: today, responses: [response('young_person', { happiness: 3 })] },
        'body/responses/0/measures/happiness'
      ],
      [{ held_on: today, responses: [] }, 'body/responses'],
      [{ held_on: addDays(today, 1), responses: [response('young_person', { confidence: 3 })] }, 'body/held_on'],
      [{ held_on: addDays(today, -1), responses: [response('young_person', { confidence: 3 })] }, 'body/held_on'],
      [
        { held_on: today, responses: [response('mentor', { confidence: 3 }), response('mentor', { confidence: 4 })] },
        'body/responses/1/respondent'
      ]
    ]
    for (const [payload, path] of cases) {
      const res = await record(coordinator, first.matchId, payload)
      t.equal(res.statusCode, 400, `${path}: ${res.body}`)
      t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
      t.ok(
        res.json().errors.some((e: any) => e.path === path),
        `${path} in ${res.body}`
      )
    }
    t.equal((await list(coordinator, `?match_id=${first.matchId}&status=completed`)).data.length, 0, 'nothing recorded')
  })

  t.test('the mentor records its own match: the earliest due evaluation completes', async (t) => {
    const res = await record(mentor, first.matchId, {
      held_on: today,
      responses: [
        response('young_person', { has_trusted_adult: 4, feels_listened_to: 5, confidence: 3 }, 'Settling in well'),
        response('mentor', { goal_progress: 2 })
      ]
    })
    t.equal(res.statusCode, 201, res.body)
    const e = res.json()
    t.equal(e.kind, 'early_review')
    t.equal(e.status, 'completed')
    t.equal(e.held_on, today)
    t.same(e.responses, [
      {
        respondent: 'young_person',
        measures: { has_trusted_adult: 4, feels_listened_to: 5, confidence: 3 },
        comments: 'Settling in well'
      },
      { respondent: 'mentor', measures: { goal_progress: 2 }, comments: null }
    ])
    const got = await app.inject({
      method: 'GET',
      url: `/v1/evaluations/${e.id as string}`,
      headers: auth(coordinator)
    })
    t.same(got.json().responses, e.responses)
    t.same(
      (await list(coordinator, `?match_id=${first.matchId}&status=due`)).data.map((x: any) => x.kind),
      ['annual']
    )
    // Recording the same evaluation again is a conflict.
    const again = await record(coordinator, first.matchId, {
      evaluation_id: e.id,
      held_on: today,
      responses: [response('young_person', { confidence: 3 })]
    })
    t.equal(again.statusCode, 409, again.body)
    t.equal(again.json().reasons[0].code, 'evaluation_completed')
  })

  t.test("a mentor cannot record, or see, another mentor's match", async (t) => {
    const res = await record(mentor, second.matchId, {
      held_on: today,
      responses: [response('young_person', { confidence: 3 })]
    })
    t.equal(res.statusCode, 404, res.body)
    const theirs = (await list(coordinator, `?match_id=${second.matchId}`)).data[0]
    t.equal(
      (await app.inject({ method: 'GET', url: `/v1/evaluations/${theirs.id as string}`, headers: auth(mentor) }))
        .statusCode,
      404
    )
    t.equal(
      (
        await record(other.token('coordinator'), first.matchId, {
          held_on: today,
          responses: [response('young_person', { confidence: 3 })]
        })
      ).statusCode,
      404
    )
    t.equal(
      (
        await record(tenant.token('referrer'), first.matchId, {
          held_on: today,
          responses: [response('young_person', { confidence: 3 })]
        })
      ).statusCode,
      403
    )
  })

  t.test('a kind chooses the evaluation; none of that kind due is a conflict', async (t) => {
    const res = await record(coordinator, second.matchId, {
      kind: 'annual',
      held_on: today,
      responses: [response('parent_carer', { education_engagement: 4 })]
    })
    t.equal(res.statusCode, 201, res.body)
    t.equal(res.json().kind, 'annual')
    t.equal(res.json().due_on, addMonths(today, 12), 'completed early, ahead of its due date')
    const none = await record(coordinator, second.matchId, {
      kind: 'annual',
      held_on: today,
      responses: [response('referrer', { confidence: 3 })]
    })
    t.equal(none.statusCode, 409, none.body)
    t.equal(none.json().reasons[0].code, 'no_evaluation_due')
    const wrong = await record(coordinator, second.matchId, {
      evaluation_id: first.matchId,
      held_on: today,
      responses: [response('referrer', { confidence: 3 })]
    })
    t.equal(wrong.statusCode, 422, wrong.body)
    t.equal(wrong.json().code, 'unknown_reference')
    t.equal(wrong.json().errors[0].path, 'body/evaluation_id')
  })

  t.test('Idempotency-Key: a retry returns the first response and records nothing more', async (t) => {
    const m = await makeMatch(app, coordinator, programme)
    const payload = { held_on: today, responses: [response('young_person', { confidence: 2 })] }
    const headers = { ...auth(coordinator), 'idempotency-key': 'eval-retry-1' }
    const a = await app.inject({ method: 'POST', url: `/v1/matches/${m.matchId}/evaluations`, headers, payload })
    const b = await app.inject({ method: 'POST', url: `/v1/matches/${m.matchId}/evaluations`, headers, payload })
    t.equal(a.statusCode, 201, a.body)
    t.equal(b.statusCode, 201, b.body)
    t.equal(b.json().id, a.json().id)
    t.equal(b.headers['idempotent-replayed'], 'true')
    t.equal((await list(coordinator, `?match_id=${m.matchId}&status=completed`)).data.length, 1)
  })

  t.test('closing cancels what is not yet due and owes a closure evaluation within 14 days', async (t) => {
    const m = await makeMatch(app, coordinator, programme)
    await matchAction(app, coordinator, m.matchId, 'pause', { reason: 'Exams' })
    t.same(
      (await list(coordinator, `?match_id=${m.matchId}`)).data.map((e: any) => e.due_on),
      [addMonths(today, 3), addMonths(today, 12)],
      'paused today: nothing moved yet'
    )
    await matchAction(app, coordinator, m.matchId, 'close', { reason_code: 'moved_away' })
    const after = (await list(coordinator, `?match_id=${m.matchId}`)).data
    t.same(
      after.map((e: any) => [e.kind, e.status, e.due_on]),
      [
        ['early_review', 'cancelled', addMonths(today, 3)],
        ['closure', 'due', addDays(today, 14)],
        ['annual', 'cancelled', addMonths(today, 12)]
      ].sort((a, b) => (a[2] < b[2] ? -1 : 1))
    )
    const res = await record(coordinator, m.matchId, {
      held_on: today,
      responses: [response('young_person', { confidence: 4 })]
    })
    t.equal(res.statusCode, 201, res.body)
    t.equal(res.json().kind, 'closure')
    t.same((await list(coordinator, `?match_id=${m.matchId}&status=cancelled`)).data.length, 2)
  })

  t.test('overdue: still due after its due date', async (t) => {
    const m = await makeMatch(app, coordinator, programme)
    // The API stamps today on every change; move one due date into the past to see it overdue.
    await db
      .updateTable('evaluations')
      .set({ due_on: addDays(today, -10) })
      .where('match_id', '=', m.matchId)
      .where('kind', '=', 'early_review')
      .execute()
    const overdue = (await list(coordinator, `?status=overdue&match_id=${m.matchId}`)).data
    t.same(
      overdue.map((e: any) => [e.kind, e.overdue, e.days_overdue]),
      [['early_review', true, 10]]
    )
    t.same(
      (await list(coordinator, `?status=due&match_id=${m.matchId}`)).data.map((e: any) => e.overdue),
      [true, false],
      'due includes overdue'
    )
  })
})
