import t from 'tap'
import { addDays, formatDate } from '../../src/lib/dates.js'
import { post } from '../support/requests.js'
import { referralBody } from '../support/bodies.js'
import { setUp } from '../support/set-up.js'

/** England and Wales bank holidays as GOV.UK publishes them (gov.uk/bank-holidays), substitute days included. */
const PUBLISHED: Record<number, string[]> = {
  2025: [
    '2025-01-01',
    '2025-04-18',
    '2025-04-21',
    '2025-05-05',
    '2025-05-26',
    '2025-08-25',
    '2025-12-25',
    '2025-12-26'
  ],
  2026: [
    '2026-01-01',
    '2026-04-03',
    '2026-04-06',
    '2026-05-04',
    '2026-05-25',
    '2026-08-31',
    '2026-12-25',
    '2026-12-28'
  ],
  2027: ['2027-01-01', '2027-03-26', '2027-03-29', '2027-05-03', '2027-05-31', '2027-08-30', '2027-12-27', '2027-12-28']
}

const weekday = (d: string): number => new Date(`${d}T12:00:00Z`).getUTCDay()

/** Easter Sunday (the anonymous Gregorian algorithm). */
function easter(y: number): string {
  const a = y % 19
  const b = Math.floor(y / 100)
  const c = y % 100
  const d = Math.floor(b / 4)
  const e = b % 4
  const f = Math.floor((b + 8) / 25)
  const g = Math.floor((b - f + 1) / 3)
  const h = (19 * a + b - d - g + 15) % 30
  const i = Math.floor(c / 4)
  const k = c % 4
  const l = (32 + 2 * e + 2 * i - h - k) % 7
  const m = Math.floor((a + 11 * h + 22 * l) / 451)
  const month = Math.floor((h + l - 7 * m + 114) / 31)
  const day = ((h + l - 7 * m + 114) % 31) + 1
  return formatDate(y, month, day)
}
const firstMonday = (y: number, m: number): string => {
  let d = formatDate(y, m, 1)
  while (weekday(d) !== 1) d = addDays(d, 1)
  return d
}
const lastMonday = (y: number, m: number): string => {
  let d = addDays(formatDate(m === 12 ? y + 1 : y, m === 12 ? 1 : m + 1, 1), -1)
  while (weekday(d) !== 1) d = addDays(d, -1)
  return d
}

/** The standing rules (Banking and Financial Dealings Act 1971 and the annual proclamations), no one-off holidays. */
function byTheRules(y: number): string[] {
  const out: string[] = []
  let newYear = formatDate(y, 1, 1)
  while (weekday(newYear) === 0 || weekday(newYear) === 6) newYear = addDays(newYear, 1)
  out.push(
    newYear,
    addDays(easter(y), -2),
    addDays(easter(y), 1),
    firstMonday(y, 5),
    lastMonday(y, 5),
    lastMonday(y, 8)
  )
  // Christmas Day and Boxing Day, each moved to the next weekday not already a holiday.
  let next = formatDate(y, 12, 25)
  for (const fixed of [formatDate(y, 12, 25), formatDate(y, 12, 26)]) {
    let d = fixed < next ? next : fixed
    while (weekday(d) === 0 || weekday(d) === 6) d = addDays(d, 1)
    out.push(d)
    next = addDays(d, 1)
  }
  return out.sort()
}

t.test('bank holidays', async (t) => {
  const {
    app,
    db,
    tenant,
    tokens: { coordinator }
  } = await setUp(t, { env: { SCHEDULE_TZ: 'Europe/London' } })
  const rows = await db.selectFrom('bank_holidays').select(['date', 'region']).orderBy('date').execute()
  const table = rows.filter((r) => r.region === 'england-and-wales').map((r) => r.date)

  t.test('the table holds the published dates', async (t) => {
    for (const [year, dates] of Object.entries(PUBLISHED)) {
      t.same(
        table.filter((d) => d.startsWith(year)),
        dates,
        year
      )
    }
  })

  t.test('every year from 2025 to 2030, and only those dates, by the standing rules', async (t) => {
    for (let y = 2025; y <= 2030; y++)
      t.same(
        table.filter((d) => d.startsWith(String(y))),
        byTheRules(y),
        String(y)
      )
    for (const [year, dates] of Object.entries(PUBLISHED))
      t.same(byTheRules(Number(year)), dates, `the rules give GOV.UK's ${year}`)
  })

  t.test('deadlines: 23:59 on the next working day in SCHEDULE_TZ, or one hour for an immediate risk', async (t) => {
    const programmeId = await tenant.programme()
    const referral = await post(app, coordinator, '/v1/referrals', referralBody(programmeId), 201)
    const due = async (raisedAt: string, immediate = false): Promise<string> => {
      const c = await post(
        app,
        coordinator,
        '/v1/safeguarding-concerns',
        {
          referral_id: referral.id,
          category: 'other',
          description: 'Seemed withdrawn.',
          raised_at: raisedAt,
          immediate_risk: immediate
        },
        201
      )
      t.equal(c.raised_at, new Date(raisedAt).toISOString())
      return c.acknowledgement.due_at
    }
    t.equal(await due('2026-11-10T10:00:00Z'), '2026-11-11T23:59:00.000Z', 'a Tuesday: Wednesday 23:59 GMT')
    t.equal(await due('2026-11-13T16:00:00Z'), '2026-11-16T23:59:00.000Z', 'a Friday: Monday')
    t.equal(await due('2026-11-14T09:00:00Z'), '2026-11-16T23:59:00.000Z', 'a Saturday: Monday')
    t.equal(
      await due('2026-08-28T09:00:00Z'),
      '2026-09-01T22:59:00.000Z',
      'the Friday before the summer bank holiday: Tuesday 23:59 BST'
    )
    t.equal(
      await due('2025-12-24T12:00:00Z'),
      '2025-12-29T23:59:00.000Z',
      'Christmas Eve: past Christmas Day, Boxing Day and the weekend'
    )
    t.equal(
      await due('2026-04-02T12:00:00Z'),
      '2026-04-07T22:59:00.000Z',
      'the Thursday before Easter: Tuesday after Easter Monday'
    )
    t.equal(
      await due('2026-06-11T23:30:00Z'),
      '2026-06-15T22:59:00.000Z',
      '00:30 on Friday in London (still Thursday in UTC): Monday'
    )
    t.equal(await due('2026-10-23T12:00:00Z'), '2026-10-26T23:59:00.000Z', 'across the end of summer time: 23:59 GMT')
    t.equal(
      await due('2026-11-14T02:10:00Z', true),
      '2026-11-14T03:10:00.000Z',
      'an immediate risk: one hour of clock time, at night and at the weekend'
    )
  })
})
