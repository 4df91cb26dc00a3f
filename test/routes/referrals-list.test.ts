import t, { type Test } from 'tap'
import { referralBody } from '../support/bodies.js'
import { setUp } from '../support/set-up.js'
import { todayLocal } from '../support/time.js'
import { auth } from '../support/tokens.js'
import { addDays } from '../../src/lib/dates.js'

interface Row {
  id: string
  status: string
  programme_id: string
  created_at: string
  submitted_at: string
}

t.test('listing referrals', async (t) => {
  const {
    app,
    tenant,
    tokens: { coordinator, referrer }
  } = await setUp(t)
  const programme = await tenant.programme({})
  const second = await tenant.programme({})

  const list = async (query: string, token = coordinator) =>
    await app.inject({ method: 'GET', url: `/v1/referrals${query}`, headers: auth(token) })

  /** Every row behind a query, page by page. */
  const walk = async (
    t: Test,
    filters: Record<string, string>,
    limit: number
  ): Promise<{ rows: Row[]; pages: number[] }> => {
    const rows: Row[] = []
    const pages: number[] = []
    let cursor: string | null = null
    for (let i = 0; i < 100; i += 1) {
      const params = new URLSearchParams({ ...filters, limit: String(limit), ...(cursor !== null ? { cursor } : {}) })
      const res = await list(`?${params.toString()}`)
      t.equal(res.statusCode, 200, res.body)
      const page = res.json() as { data: Row[]; next_cursor: string | null }
      pages.push(page.data.length)
      rows.push(...page.data)
      cursor = page.next_cursor
      if (cursor === null) break
    }
    return { rows, pages }
  }

  // 120 referrals, sent ten at a time so that several share a millisecond.
  const ids: string[] = []
  for (let batch = 0; batch < 12; batch += 1) {
    const responses = await Promise.all(
      Array.from(
        { length: 10 },
        async (_, i) =>
          await app.inject({
            method: 'POST',
            url: '/v1/referrals',
            headers: auth(referrer),
            payload: referralBody((batch * 10 + i) % 4 === 0 ? second : programme)
          })
      )
    )
    for (const r of responses) {
      if (r.statusCode !== 201) throw new Error(r.body)
      ids.push(r.json().id)
    }
  }

  t.test('limit is 1 to 200, 50 by default', async (t) => {
    for (const bad of ['0', '201', '-1', 'ten', '1.5']) {
      const res = await list(`?limit=${bad}`)
      t.equal(res.statusCode, 400, `limit=${bad}: ${res.body}`)
      t.same(
        res.json().errors.map((e: { path: string }) => e.path),
        ['query/limit'],
        `limit=${bad}`
      )
    }
    const byDefault = await list('')
    t.equal(byDefault.statusCode, 200)
    t.equal(byDefault.json().data.length, 50)
    t.type(byDefault.json().next_cursor, 'string')
    t.equal((await list('?limit=1')).json().data.length, 1)
    const all = await list('?limit=200')
    t.equal(all.json().data.length, 120)
    t.equal(all.json().next_cursor, null)
  })

  t.test('a walk with limit 50 sees each referral exactly once, newest first', async (t) => {
    const { rows, pages } = await walk(t, {}, 50)
    t.same(pages, [50, 50, 20])
    t.equal(rows.length, 120)
    t.equal(new Set(rows.map((r) => r.id)).size, 120, 'no repeats')
    t.same([...rows.map((r) => r.id)].sort(), [...ids].sort(), 'nothing missed')
    const order = rows.map((r) => Date.parse(r.created_at))
    t.ok(
      order.every((x, i) => i === 0 || x <= order[i - 1]),
      'newest first'
    )
    t.same(
      rows.map((r) => r.id),
      (await list('?limit=200')).json().data.map((r: Row) => r.id),
      'the same order as one big page'
    )
  })

  t.test('small pages too', async (t) => {
    const { rows, pages } = await walk(t, {}, 7)
    t.equal(pages.length, 18)
    t.equal(new Set(rows.map((r) => r.id)).size, 120)
  })

  t.test('a tampered cursor is bad input naming query/cursor', async (t) => {
    const cursor = (await list('?limit=5')).json().next_cursor as string
    const flip = (s: string, i: number): string => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1)
    const tampered = [
      'not-a-cursor',
      Buffer.from('["2026-01-01T00:00:00.000Z"]').toString('base64url'),
      Buffer.from('{"at":1}').toString('base64url'),
      flip(cursor, 3),
      flip(cursor, Math.floor(cursor.length / 2)),
      flip(cursor, cursor.length - 2),
      cursor.slice(0, -4)
    ]
    for (const c of tampered) {
      const res = await list(`?limit=5&cursor=${c}`)
      t.equal(res.statusCode, 400, `${c}: ${res.body}`)
      t.same(
        res.json().errors?.map((e: { path: string }) => e.path),
        ['query/cursor'],
        c
      )
    }
    const bad = await list('?cursor=%25%25%25')
    t.equal(bad.statusCode, 400)
    t.same(
      bad.json().errors.map((e: { path: string }) => e.path),
      ['query/cursor']
    )
    t.equal((await list(`?limit=5&cursor=${cursor}`)).statusCode, 200, 'the real one still works')
  })

  t.test('filters: status and programme_id, with the cursor', async (t) => {
    const toAccept = ids.slice(0, 30)
    for (const id of toAccept) {
      const res = await app.inject({
        method: 'POST',
        url: `/v1/referrals/${id}/accept`,
        headers: auth(coordinator),
        payload: {}
      })
      t.equal(res.statusCode, 200, res.body)
    }
    const accepted = await walk(t, { status: 'accepted' }, 8)
    t.equal(accepted.rows.length, 30)
    t.ok(accepted.rows.every((r) => r.status === 'accepted'))
    t.same([...accepted.rows.map((r) => r.id)].sort(), [...toAccept].sort())

    const inSecond = await walk(t, { programme_id: second }, 7)
    t.equal(inSecond.rows.length, 30)
    t.ok(inSecond.rows.every((r) => r.programme_id === second))
    t.equal(new Set(inSecond.rows.map((r) => r.id)).size, 30)

    const both = await walk(t, { programme_id: second, status: 'submitted' }, 4)
    const expected = (await list(`?limit=200&programme_id=${second}`))
      .json()
      .data.filter((r: Row) => r.status === 'submitted')
    t.same(
      both.rows.map((r) => r.id),
      expected.map((r: Row) => r.id)
    )
    t.ok(both.rows.length > 0 && both.rows.length < 30)

    const bad = await list('?status=pending')
    t.equal(bad.statusCode, 400)
    t.same(
      bad.json().errors.map((e: { path: string }) => e.path),
      ['query/status']
    )
    const badProgramme = await list('?programme_id=nope')
    t.same(
      badProgramme.json().errors.map((e: { path: string }) => e.path),
      ['query/programme_id']
    )
    const unknownFilter = await list('?colour=red')
    t.equal(unknownFilter.statusCode, 400)
    t.same(
      unknownFilter.json().errors.map((e: { path: string }) => e.path),
      ['query/colour']
    )
  })

  t.test('filters: submitted_from and submitted_to are inclusive dates', async (t) => {
    const today = todayLocal()
    const yesterday = addDays(today, -1)
    const tomorrow = addDays(today, 1)
    const todays = await walk(t, { submitted_from: today, submitted_to: today }, 50)
    t.equal(todays.rows.length, 120, 'from and to the same day is that whole day')
    t.equal(new Set(todays.rows.map((r) => r.id)).size, 120)
    t.equal(
      (await walk(t, { submitted_from: yesterday, submitted_to: tomorrow, programme_id: second }, 11)).rows.length,
      30
    )
    t.equal((await list(`?submitted_to=${yesterday}`)).json().data.length, 0)
    t.equal((await list(`?submitted_from=${tomorrow}`)).json().data.length, 0)
    t.equal((await list(`?submitted_from=${today}&limit=200`)).json().data.length, 120)
    t.equal((await list(`?submitted_to=${today}&limit=200`)).json().data.length, 120)

    const bad = await list('?submitted_from=2026-13-01')
    t.equal(bad.statusCode, 400)
    t.same(
      bad.json().errors.map((e: { path: string }) => e.path),
      ['query/submitted_from']
    )
    const reversed = await list(`?submitted_from=${tomorrow}&submitted_to=${yesterday}`)
    t.ok(
      reversed.statusCode === 400 || reversed.json().data.length === 0,
      'a reversed range finds nothing or is refused'
    )
  })

  t.test("a referrer's pages hold only its own", async (t) => {
    const other = tenant.token('referrer')
    const mine = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(other),
      payload: referralBody(programme)
    })
    t.equal(mine.statusCode, 201)
    const page = await list('?limit=50', other)
    t.same(
      page.json().data.map((r: Row) => r.id),
      [mine.json().id]
    )
    t.equal(page.json().next_cursor, null)
    // A cursor from the coordinator's walk does not widen what a referrer sees.
    const cursor = (await list('?limit=1')).json().next_cursor as string
    const res = await list(`?limit=50&cursor=${cursor}`, other)
    t.equal(res.statusCode, 200)
    t.ok(res.json().data.every((r: Row) => r.id === mine.json().id))
  })
})

t.test('submitted dates are days in the scheme’s time zone', async (t) => {
  // A zone whose date differs from UTC's at this hour: far east late in the UTC day, far west early.
  const zone = new Date().getUTCHours() >= 10 ? 'Pacific/Kiritimati' : 'Pacific/Pago_Pago'
  const {
    app,
    tenant,
    tokens: { coordinator }
  } = await setUp(t, { env: { SCHEDULE_TZ: zone } })
  const programme = await tenant.programme({})
  const created = await app.inject({
    method: 'POST',
    url: '/v1/referrals',
    headers: auth(tenant.token('referrer')),
    payload: referralBody(programme)
  })
  t.equal(created.statusCode, 201, created.body)
  const localToday = todayLocal(zone)
  t.not(localToday, new Date().toISOString().slice(0, 10), 'the local day is not the UTC day')

  const on = async (query: string): Promise<string[]> => {
    const res = await app.inject({ method: 'GET', url: `/v1/referrals?${query}`, headers: auth(coordinator) })
    t.equal(res.statusCode, 200, res.body)
    return res.json().data.map((r: Row) => r.id)
  }
  t.same(
    await on(`submitted_from=${localToday}&submitted_to=${localToday}`),
    [created.json().id],
    'found on its local day'
  )
  t.same(await on(`submitted_to=${addDays(localToday, -1)}`), [], 'not on the day before')
  t.same(await on(`submitted_from=${addDays(localToday, 1)}`), [], 'not on the day after')
})
