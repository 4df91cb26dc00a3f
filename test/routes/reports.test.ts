import t from 'tap'
import { referralBody } from '../support/bodies.js'
import { makeMatch, matchAction, response } from '../support/matches.js'
import { setUp } from '../support/set-up.js'
import { todayLocal } from '../support/time.js'
import { auth } from '../support/tokens.js'
import { addDays, addMonths } from '../../src/lib/dates.js'
import { sql } from 'kysely'
import * as XLSX from '@e965/xlsx'
import { csvField, csvRows, SECTIONS } from '../../src/reports/csv.js'
import { columnName } from '../../src/reports/xlsx.js'

t.test('programme summary', async (t) => {
  const {
    app,
    db,
    tenant,
    other,
    tokens: { coordinator }
  } = await setUp(t, { other: true })
  const today = todayLocal()
  const programme = await tenant.programme({ evaluation_interval_months: 12 })
  const post = async (url: string, payload: unknown, expected: number): Promise<any> => {
    const res = await app.inject({ method: 'POST', url, headers: auth(coordinator), payload: payload as any })
    if (res.statusCode !== expected) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
    return res.json()
  }
  const team = (name: string | undefined): Record<string, unknown> => ({ referrer: { team: name } })

  // A: matched, active, two sessions (one attended); B: matched, closed the day it started;
  // C, D: declined; E: accepted and waiting; F: submitted, no team.
  const a = await makeMatch(app, coordinator, programme, { referral: team('Pastoral') })
  const b = await makeMatch(app, coordinator, programme, { referral: team('Pastoral') })
  await matchAction(app, coordinator, b.matchId, 'close', { reason_code: 'moved_away' })
  const c = await post('/v1/referrals', referralBody(programme, team('Pastoral')), 201)
  await post(`/v1/referrals/${c.id as string}/decline`, { reason_code: 'ineligible' }, 200)
  const d = await post('/v1/referrals', referralBody(programme, team('Inclusion, North')), 201)
  await post(`/v1/referrals/${d.id as string}/decline`, { reason_code: 'no_mentor_available' }, 200)
  const e = await post('/v1/referrals', referralBody(programme, team('Inclusion, North')), 201)
  await post(`/v1/referrals/${e.id as string}/accept`, {}, 200)
  await post('/v1/referrals', referralBody(programme, team(undefined)), 201)
  await post(
    `/v1/matches/${a.matchId}/sessions`,
    { held_on: today, duration_minutes: 60, location_type: 'library', attended: true },
    201
  )
  await post(
    `/v1/matches/${a.matchId}/sessions`,
    { held_on: today, duration_minutes: 45, location_type: 'library', attended: false },
    201
  )
  await post(
    `/v1/matches/${a.matchId}/evaluations`,
    {
      kind: 'annual',
      held_on: today,
      responses: [
        response('young_person', { confidence: 4, has_trusted_adult: 5 }),
        response('mentor', { confidence: 3, goal_progress: 2 }),
        response('parent_carer', { confidence: 4 })
      ]
    },
    201
  )
  // Noise that must not count: another programme's referral, another organisation's.
  await post('/v1/referrals', referralBody(await tenant.programme()), 201)
  await makeMatch(app, other.token('coordinator'), await other.programme())
  // The API stamps every submission today; set two back so the wait to a match is 10 and 20 days.
  for (const [id, days] of [
    [a.referralId, 10],
    [b.referralId, 20]
  ] as const) {
    await sql`update referrals set created_at = created_at - make_interval(days => ${days}) where id = ${id}`.execute(
      db
    )
  }

  const from = addDays(today, -30)
  const to = addMonths(today, 13)
  const get = async (query: string, headers: Record<string, string> = {}, token = coordinator): Promise<any> =>
    await app.inject({
      method: 'GET',
      url: `/v1/reports/programme-summary${query}`,
      headers: { ...auth(token), ...headers }
    })

  t.test('every figure, against the hand count', async (t) => {
    const res = await get(`?programme_id=${programme}&from=${from}&to=${to}`)
    t.equal(res.statusCode, 200, res.body)
    const s = res.json()
    t.equal(s.programme_id, programme)
    t.same([s.from, s.to, s.generated_on], [from, to, today])
    t.same(s.referrals, {
      submitted: 6,
      young_people: 6,
      by_status: [
        { status: 'accepted', count: 1 },
        { status: 'closed', count: 1 },
        { status: 'declined', count: 2 },
        { status: 'matched', count: 1 },
        { status: 'submitted', count: 1 }
      ],
      by_team: [
        { organisation: 'Ravens Wood School', team: 'Pastoral', count: 3 },
        { organisation: 'Ravens Wood School', team: 'Inclusion, North', count: 2 },
        { organisation: 'Ravens Wood School', team: null, count: 1 }
      ]
    })
    t.same(s.decisions, {
      accepted: 3,
      declined: 2,
      acceptance_rate: 0.6,
      decline_reasons: [
        { reason_code: 'ineligible', count: 1 },
        { reason_code: 'no_mentor_available', count: 1 }
      ]
    })
    t.same(s.time_to_match, { matched: 2, median_days: 15 })
    t.same(s.waiting_list, { count: 1, oldest_wait_days: 0, oldest_accepted_on: today })
    t.same(s.matches, { proposed: 0, active: 1, paused: 0, started: 2, closed: 1 })
    t.same(s.early_closures, { count: 1, reasons: [{ reason_code: 'moved_away', count: 1 }] })
    t.same(s.sessions, { logged: 2, attended: 1, hours: 1 })
    t.same(s.evaluations, {
      due: 2,
      completed: 1,
      completion_rate: 0.5,
      by_kind: [
        { kind: 'annual', due: 1, completed: 1 },
        { kind: 'early_review', due: 0, completed: 0 },
        { kind: 'closure', due: 1, completed: 0 }
      ]
    })
    t.equal(s.outcomes.length, 20, 'five measures by four respondent types')
    const outcome = (measure: string, respondent: string): any =>
      s.outcomes.find((o: any) => o.measure === measure && o.respondent === respondent)
    t.same(
      outcome('confidence', 'young_person').distribution.map((p: any) => p.count),
      [0, 0, 0, 1, 0]
    )
    t.same(
      outcome('confidence', 'mentor').distribution.map((p: any) => p.count),
      [0, 0, 1, 0, 0]
    )
    t.same(
      outcome('confidence', 'parent_carer').distribution.map((p: any) => p.count),
      [0, 0, 0, 1, 0]
    )
    t.same(outcome('confidence', 'referrer'), {
      measure: 'confidence',
      respondent: 'referrer',
      responses: 0,
      mean: null,
      distribution: outcome('confidence', 'referrer').distribution
    })
    t.same(
      outcome('has_trusted_adult', 'young_person').distribution.map((p: any) => [p.score, p.count]),
      [
        [1, 0],
        [2, 0],
        [3, 0],
        [4, 0],
        [5, 1]
      ]
    )
    t.equal(outcome('has_trusted_adult', 'young_person').distribution[4].label, 'Always has someone they trust')
    t.same([outcome('goal_progress', 'mentor').responses, outcome('goal_progress', 'mentor').mean], [1, 2])
    t.equal(outcome('feels_listened_to', 'young_person').responses, 0)
  })

  t.test('the period bounds the cohort and what happened in it', async (t) => {
    const s = (await get(`?programme_id=${programme}&from=${addDays(today, 1)}&to=${to}`)).json()
    t.equal(s.referrals.submitted, 0)
    t.equal(s.decisions.acceptance_rate, null)
    t.equal(s.time_to_match.median_days, null)
    t.same(s.sessions, { logged: 0, attended: 0, hours: 0 })
    t.same([s.matches.started, s.matches.closed, s.early_closures.count], [0, 0, 0])
    t.equal(s.matches.active, 1, 'open matches are as of today')
    t.equal(s.waiting_list.count, 1)
    t.same([s.evaluations.due, s.evaluations.completed], [2, 1])
    t.equal(
      s.outcomes.reduce((n: number, o: any) => n + o.responses, 0),
      0,
      'the evaluation was held before the period'
    )
    const early = (await get(`?programme_id=${programme}&from=${from}&to=${addDays(today, 13)}`)).json()
    t.same([early.evaluations.due, early.evaluations.completion_rate], [0, null], 'nothing due yet')
  })

  t.test('the same figures as CSV, one section per table', async (t) => {
    const res = await get(`?programme_id=${programme}&from=${from}&to=${to}`, { accept: 'text/csv' })
    t.equal(res.statusCode, 200, res.body)
    t.match(res.headers['content-type'], /^text\/csv/)
    t.match(res.headers['content-disposition'], `programme-summary-${from}-${to}.csv`)
    const sections = (res.body as string)
      .split('\r\n\r\n')
      .map((sec: string) => sec.split('\r\n').filter((l: string) => l !== ''))
    t.same(
      sections.map((sec: string[]) => sec[0]),
      [
        'summary',
        'referrals_by_status',
        'referrals_by_team',
        'decline_reasons',
        'early_closure_reasons',
        'evaluations_by_kind',
        'outcomes',
        'outcome_distributions'
      ]
    )
    const summary = Object.fromEntries(sections[0].slice(2).map((l: string) => l.split(',')))
    t.equal(summary.referrals_submitted, '6')
    t.equal(summary.acceptance_rate, '0.6')
    t.equal(summary.median_days_to_match, '15')
    t.equal(summary.waiting_list, '1')
    t.equal(summary.closures_before_three_months, '1')
    t.equal(summary.session_hours, '1')
    t.equal(summary.evaluation_completion_rate, '0.5')
    t.same(sections[2], [
      'referrals_by_team',
      'organisation,team,count',
      'Ravens Wood School,Pastoral,3',
      'Ravens Wood School,"Inclusion, North",2',
      'Ravens Wood School,,1'
    ])
    t.ok(sections[6].includes('goal_progress,mentor,1,2'), 'the outcome averages, as the JSON has them')
    t.ok(sections[6].includes('confidence,referrer,0,'), 'no responses: no mean')
    t.equal(sections[6].length, 2 + 20)
    t.ok(sections[7].includes('confidence,young_person,4,Good,1'))
    t.equal(sections[7].length, 2 + 20 * 5)
    const json = (await get(`?programme_id=${programme}&from=${from}&to=${to}`, { accept: 'application/json' })).json()
    t.equal(json.referrals.submitted, 6)
    t.equal(
      (await get(`?programme_id=${programme}`, { accept: 'text/csv;q=0.5, application/json' })).headers['content-type'],
      'application/json; charset=utf-8',
      'quality values respected'
    )
  })

  /** A CSV table parsed back (RFC 4180: quoted fields, doubled quotes, CRLF). */
  const parseCsv = (text: string): string[][] => {
    const rows: string[][] = []
    let row: string[] = []
    let field = ''
    let quoted = false
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]
      if (quoted) {
        if (ch === '"' && text[i + 1] === '"') {
          field += '"'
          i++
        } else if (ch === '"') quoted = false
        else field += ch
      } else if (ch === '"') quoted = true
      else if (ch === ',') {
        row.push(field)
        field = ''
      } else if (ch === '\r' && text[i + 1] === '\n') {
        row.push(field)
        rows.push(row)
        row = []
        field = ''
        i++
      } else field += ch
    }
    if (field !== '' || row.length > 0) {
      row.push(field)
      rows.push(row)
    }
    return rows
  }

  t.test('each section as a CSV of its own', async (t) => {
    const json = (await get(`?programme_id=${programme}&from=${from}&to=${to}`)).json()
    for (const section of SECTIONS) {
      const res = await get(`?programme_id=${programme}&from=${from}&to=${to}&section=${section}`, {
        accept: 'text/csv'
      })
      t.equal(res.statusCode, 200, res.body)
      t.match(res.headers['content-disposition'], `programme-summary-${from}-${to}-${section}.csv`)
      const rows = parseCsv(res.body)
      const width = rows[0].length
      t.ok(
        rows.every((r) => r.length === width),
        `${section}: every row as wide as its header`
      )
    }
    const team = parseCsv(
      (await get(`?programme_id=${programme}&from=${from}&to=${to}&section=referrals_by_team`, { accept: 'text/csv' }))
        .body
    )
    t.same(team, [
      ['organisation', 'team', 'count'],
      ['Ravens Wood School', 'Pastoral', '3'],
      ['Ravens Wood School', 'Inclusion, North', '2'],
      ['Ravens Wood School', '', '1']
    ])
    const outcomes = parseCsv(
      (await get(`?programme_id=${programme}&from=${from}&to=${to}&section=outcomes`, { accept: 'text/csv' })).body
    )
    t.same(outcomes[0], ['measure', 'respondent', 'responses', 'mean'])
    t.same(
      outcomes.slice(1).map((r) => [r[0], r[1], Number(r[2]), r[3] === '' ? null : Number(r[3])]),
      json.outcomes.map((o: any) => [o.measure, o.respondent, o.responses, o.mean])
    )
    const unknown = await get(`?programme_id=${programme}&section=everything`, { accept: 'text/csv' })
    t.equal(unknown.statusCode, 400)
    t.equal(unknown.json().errors[0].path, 'query/section')
    const notCsv = await get(`?programme_id=${programme}&section=summary`)
    t.equal(notCsv.statusCode, 400)
    t.equal(notCsv.json().errors[0].path, 'query/section')
  })

  t.test('the whole report as one XLSX workbook, a sheet per section', async (t) => {
    const res = await get(`?programme_id=${programme}&from=${from}&to=${to}`, {
      accept: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
    })
    t.equal(res.statusCode, 200, res.body.slice(0, 300))
    t.equal(res.headers['content-type'], 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    t.match(res.headers['content-disposition'], `programme-summary-${from}-${to}.xlsx`)
    const book = XLSX.read(res.rawPayload, { type: 'buffer' })
    t.same(book.SheetNames, [...SECTIONS])
    const rows = (name: string): unknown[][] =>
      XLSX.utils.sheet_to_json<unknown[]>(book.Sheets[name], { header: 1, defval: null })
    const summary = Object.fromEntries(rows('summary').slice(1))
    t.equal(summary.referrals_submitted, 6, 'numbers are numbers')
    t.equal(summary.acceptance_rate, 0.6)
    t.equal(summary.programme_id, programme)
    t.same(rows('referrals_by_team'), [
      ['organisation', 'team', 'count'],
      ['Ravens Wood School', 'Pastoral', 3],
      ['Ravens Wood School', 'Inclusion, North', 2],
      ['Ravens Wood School', null, 1]
    ])
    const json = (await get(`?programme_id=${programme}&from=${from}&to=${to}`)).json()
    t.same(
      rows('outcomes').slice(1),
      json.outcomes.map((o: any) => [o.measure, o.respondent, o.responses, o.mean]),
      'the outcome averages'
    )
    t.equal(rows('outcome_distributions').length, 1 + 20 * 5)
  })

  t.test('workbook cells: text is never a formula, column names past Z', async (t) => {
    t.same(
      [columnName(0), columnName(25), columnName(26), columnName(701), columnName(702)],
      ['A', 'Z', 'AA', 'ZZ', 'AAA']
    )
    const { workbook } = await import('../../src/reports/xlsx.js')
    const book = XLSX.read(
      workbook([
        {
          name: 'a_very_long_section_name_beyond_thirty_one',
          header: ['text', 'n'],
          rows: [
            ['=SUM(A1:A9)', 1.5],
            ['<b>&"\u0001', null]
          ]
        }
      ]),
      { type: 'buffer', cellFormula: true }
    )
    t.same(book.SheetNames, ['a_very_long_section_name_beyond'])
    const sheet = book.Sheets[book.SheetNames[0]]
    t.equal(sheet.A2.v, '=SUM(A1:A9)')
    t.equal(sheet.A2.f, undefined, 'no formula')
    t.equal(sheet.A3.v, '<b>&"')
    t.equal(sheet.B2.v, 1.5)
    t.equal(sheet.B3, undefined)
  })

  t.test('RFC 4180 quoting, and no spreadsheet formulas', async (t) => {
    t.equal(csvField('plain'), 'plain')
    t.equal(csvField('a, b'), '"a, b"')
    t.equal(csvField('say "hi"'), '"say ""hi"""')
    t.equal(csvField('two\nlines'), '"two\nlines"')
    t.equal(csvField('=SUM(A1:A9)'), "'=SUM(A1:A9)")
    t.equal(csvField(null), '')
    t.equal(csvField(0.25), '0.25')
    t.equal(
      csvRows([
        ['a', 1],
        ['b,c', null]
      ]),
      'a,1\r\n"b,c",'
    )
  })

  t.test('who may ask, and bad requests', async (t) => {
    t.equal((await get(`?programme_id=${programme}`, {}, tenant.token('admin'))).statusCode, 200)
    t.equal(
      (await get(`?programme_id=${programme}`, {}, tenant.token('mentor', { mentorId: a.mentorId }))).statusCode,
      403
    )
    t.equal((await get(`?programme_id=${programme}`, {}, tenant.token('referrer'))).statusCode, 403)
    t.equal(
      (await get(`?programme_id=${programme}`, {}, other.token('coordinator'))).statusCode,
      404,
      "another organisation's programme is not found"
    )
    const backwards = await get(`?programme_id=${programme}&from=${today}&to=${addDays(today, -1)}`)
    t.equal(backwards.statusCode, 400)
    t.equal(backwards.json().errors[0].path, 'query/from')
    const missing = await get('?from=2026-01-01')
    t.equal(missing.statusCode, 400)
    t.equal(missing.json().errors[0].path, 'query/programme_id')
    const badDate = await get(`?programme_id=${programme}&to=2026-13-01`)
    t.equal(badDate.statusCode, 400)
    t.equal(badDate.json().errors[0].path, 'query/to')
    const xml = await get(`?programme_id=${programme}`, { accept: 'application/xml' })
    t.equal(xml.statusCode, 406, xml.body)
    t.equal(xml.headers['content-type'], 'application/problem+json; charset=utf-8')
  })
})
