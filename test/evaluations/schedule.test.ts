import t from 'tap'
import {
  CLOSURE_WINDOW_DAYS,
  pausesOf,
  planSchedule,
  scheduleFor,
  shiftByPauses,
  type MatchTimeline
} from '../../src/evaluations/schedule.js'
import { reminderThreshold } from '../../src/evaluations/reminders.js'

const rules = { evaluation_interval_months: 12 }
const active = (started: string, history: MatchTimeline['history'] = []): MatchTimeline => ({
  status: 'active',
  started_on: started,
  closed_on: null,
  history: [{ from_status: 'proposed', to_status: 'active', on_date: started }, ...history]
})

t.test('annual evaluations every interval, the next one listed ahead', async (t) => {
  t.same(scheduleFor(active('2026-01-15'), rules, '2026-06-01'), [
    { kind: 'annual', sequence: 1, due_on: '2027-01-15' }
  ])
  t.same(
    scheduleFor(active('2026-01-15'), rules, '2028-02-01').map((e) => e.due_on),
    ['2027-01-15', '2028-01-15', '2029-01-15']
  )
  t.same(
    scheduleFor(active('2026-01-15'), { evaluation_interval_months: 6 }, '2026-12-01').map((e) => e.due_on),
    ['2026-07-15', '2027-01-15']
  )
  // The day before it falls due only that one is listed; from its due date the next one is too.
  t.same(
    scheduleFor(active('2026-01-15'), rules, '2027-01-14').map((e) => e.due_on),
    ['2027-01-15']
  )
  t.same(
    scheduleFor(active('2026-01-15'), rules, '2027-01-15').map((e) => e.due_on),
    ['2027-01-15', '2028-01-15']
  )
})

t.test('month ends clamp: started on the 31st, a 1-month interval falls on the 30th or the 28th', async (t) => {
  const due = scheduleFor(active('2026-01-31'), { evaluation_interval_months: 1 }, '2026-04-01').map((e) => e.due_on)
  t.same(due, ['2026-02-28', '2026-03-31', '2026-04-30'])
  t.same(scheduleFor(active('2027-02-29'.replace('2027', '2028')), rules, '2028-03-01')[0].due_on, '2029-02-28')
})

t.test('an early review before the first annual evaluation', async (t) => {
  const s = scheduleFor(active('2026-01-15'), { evaluation_interval_months: 12, early_review_months: 3 }, '2026-02-01')
  t.same(s, [
    { kind: 'early_review', sequence: 1, due_on: '2026-04-15' },
    { kind: 'annual', sequence: 1, due_on: '2027-01-15' }
  ])
  // An early review at or after the annual one adds nothing.
  t.same(
    scheduleFor(active('2026-01-15'), { evaluation_interval_months: 12, early_review_months: 12 }, '2026-02-01').map(
      (e) => e.kind
    ),
    ['annual']
  )
})

t.test('pauses push later due dates back by the days paused', async (t) => {
  const paused = active('2026-01-15', [
    { from_status: 'active', to_status: 'paused', on_date: '2026-03-01' },
    { from_status: 'paused', to_status: 'active', on_date: '2026-03-31' }
  ])
  t.same(pausesOf(paused.history), [{ from: '2026-03-01', to: '2026-03-31' }])
  t.same(scheduleFor(paused, rules, '2026-06-01'), [{ kind: 'annual', sequence: 1, due_on: '2027-02-14' }])
  // Two pauses add up, and a pause that starts after a (moved) due date leaves that one alone.
  const twice = active('2026-01-15', [
    { from_status: 'active', to_status: 'paused', on_date: '2026-03-01' },
    { from_status: 'paused', to_status: 'active', on_date: '2026-03-11' },
    { from_status: 'active', to_status: 'paused', on_date: '2027-01-26' },
    { from_status: 'paused', to_status: 'active', on_date: '2027-01-31' }
  ])
  t.same(
    scheduleFor(twice, rules, '2027-03-01').map((e) => e.due_on),
    ['2027-01-25', '2028-01-30']
  )
  // An early review already due when the pause began stays where it was.
  const early = active('2026-01-15', [
    { from_status: 'active', to_status: 'paused', on_date: '2026-05-01' },
    { from_status: 'paused', to_status: 'active', on_date: '2026-05-11' }
  ])
  t.same(scheduleFor(early, { evaluation_interval_months: 12, early_review_months: 3 }, '2026-06-01'), [
    { kind: 'early_review', sequence: 1, due_on: '2026-04-15' },
    { kind: 'annual', sequence: 1, due_on: '2027-01-25' }
  ])
})

t.test('while paused, the pending evaluation keeps moving: nothing falls due', async (t) => {
  const m: MatchTimeline = {
    ...active('2026-01-15', [{ from_status: 'active', to_status: 'paused', on_date: '2027-01-10' }]),
    status: 'paused'
  }
  t.same(scheduleFor(m, rules, '2027-01-10')[0].due_on, '2027-01-15')
  t.same(scheduleFor(m, rules, '2027-02-10')[0].due_on, '2027-02-15')
  t.equal(shiftByPauses('2027-01-15', [{ from: '2027-01-10', to: null }], '2027-01-12'), '2027-01-17')
})

t.test('closure: a closure evaluation, the not-yet-due annual ones cancelled', async (t) => {
  const closed: MatchTimeline = {
    status: 'closed',
    started_on: '2026-01-15',
    closed_on: '2027-03-01',
    history: [
      { from_status: 'proposed', to_status: 'active', on_date: '2026-01-15' },
      { from_status: 'active', to_status: 'closed', on_date: '2027-03-01' }
    ]
  }
  t.same(scheduleFor(closed, rules, '2027-03-01'), [
    { kind: 'annual', sequence: 1, due_on: '2027-01-15' },
    { kind: 'closure', sequence: 1, due_on: `2027-03-${String(1 + CLOSURE_WINDOW_DAYS)}` }
  ])
  const plan = planSchedule(closed, rules, '2027-03-01', [
    { id: 'a1', kind: 'annual', sequence: 1, due_on: '2027-01-15', status: 'due' },
    { id: 'a2', kind: 'annual', sequence: 2, due_on: '2028-01-15', status: 'due' }
  ])
  t.same(plan, { insert: [{ kind: 'closure', sequence: 1, due_on: '2027-03-15' }], move: [], cancel: ['a2'] })
  // Never started: nothing at all.
  t.same(
    scheduleFor({ status: 'closed', started_on: null, closed_on: '2026-02-01', history: [] }, rules, '2026-03-01'),
    []
  )
})

t.test('plan: moves due dates after a pause, leaves completed ones, keeps ones beyond the horizon', async (t) => {
  const m = active('2026-01-15', [
    { from_status: 'active', to_status: 'paused', on_date: '2026-03-01' },
    { from_status: 'paused', to_status: 'active', on_date: '2026-03-31' }
  ])
  const plan = planSchedule(m, rules, '2026-06-01', [
    { id: 'a1', kind: 'annual', sequence: 1, due_on: '2027-01-15', status: 'due' },
    { id: 'a2', kind: 'annual', sequence: 2, due_on: '2028-01-15', status: 'due' },
    { id: 'old', kind: 'early_review', sequence: 1, due_on: '2026-04-15', status: 'completed' }
  ])
  t.same(plan, {
    insert: [],
    move: [
      { id: 'a1', due_on: '2027-02-14' },
      { id: 'a2', due_on: '2028-02-14' }
    ],
    cancel: []
  })
})

t.test('reminder thresholds', async (t) => {
  t.equal(reminderThreshold('2027-01-15', '2026-12-31'), null)
  t.equal(reminderThreshold('2027-01-15', '2027-01-01')?.key, 'due-soon')
  t.equal(reminderThreshold('2027-01-15', '2027-01-14')?.key, 'due-soon')
  t.equal(reminderThreshold('2027-01-15', '2027-01-15')?.key, 'due')
  t.equal(reminderThreshold('2027-01-15', '2027-01-21')?.key, 'due')
  t.equal(reminderThreshold('2027-01-15', '2027-01-22')?.key, 'overdue-week-1')
  t.equal(reminderThreshold('2027-01-15', '2027-02-11')?.key, 'overdue-week-3')
  t.equal(reminderThreshold('2027-01-15', '2027-02-11')?.escalate, false)
  t.equal(reminderThreshold('2027-01-15', '2027-02-12')?.key, 'overdue-week-4')
  t.equal(reminderThreshold('2027-01-15', '2027-02-12')?.escalate, true)
})
