import { sql, type Transaction } from 'kysely'
import type { Database, Executor } from '../../db/database.js'
import type { ScheduledJobContext } from './context.js'
import type { DB, NewNotification } from '../../db/types.js'
import { recipientsWithRole } from '../../users/users.repository.js'
import { addDays } from '../../lib/dates.js'
import { REMINDER_LEAD_DAYS, reminderThreshold, type Threshold } from '../../evaluations/reminders.js'
import { matchesNeedingSync } from '../../evaluations/evaluations.repository.js'
import { syncSchedules } from '../../evaluations/evaluations.service.js'
import { evaluationReminder, type EvaluationReminderFacts } from '../../notifications/templates/evaluations.js'
import type { Message } from '../../notifications/templates/message.js'

const BATCH = 1000
const ANALYZE_AFTER = 10_000

/**
 * One batch in its own short transaction. JIT compilation is off: these are index-driven batch
 * queries whose cost estimates can run high, and compiling them costs more than running them.
 */
async function batch<T> (db: Database, work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  return await db.transaction().execute(async (trx) => {
    await sql`set local jit = off`.execute(trx)
    return await work(trx)
  })
}

interface DueRow {
  id: string
  organisation_id: string
  kind: string
  due_on: string
  match_id: string
  mentor_id: string
  mentor_email: string | null
  reference: string
  programme_name: string
}

/** The reminder's text for one audience, from the catalogue. */
function reminderMessage (row: DueRow, t: Threshold, audience: EvaluationReminderFacts['audience']): Message {
  return evaluationReminder({ kind: row.kind, dueOn: row.due_on, reference: row.reference, programme: row.programme_name, days: t.days, weeksOverdue: t.weeksOverdue, audience })
}

/**
 * Writes outbox rows in one statement of column arrays (a fixed nine parameters however many rows,
 * so PostgreSQL parses it once); a row whose dedupe key exists is skipped, as insertNotifications does.
 */
async function writeOutbox (db: Executor, rows: Array<NewNotification & { subject_id: string }>): Promise<string[]> {
  if (rows.length === 0) return []
  const col = <K extends keyof NewNotification>(k: K): unknown[] => rows.map((r) => r[k])
  const res = await sql<{ id: string }>`
    insert into notifications (organisation_id, dedupe_key, kind, recipient, subject, body, subject_type, subject_id)
    select * from unnest(${col('organisation_id')}::uuid[], ${col('dedupe_key')}::text[], ${col('kind')}::text[], ${col('recipient')}::text[],
                         ${col('subject')}::text[], ${col('body')}::text[], ${col('subject_type')}::text[], ${col('subject_id')}::uuid[])
    on conflict (dedupe_key) do nothing
    returning id`.execute(db)
  return res.rows.map((r) => r.id)
}

async function markReminded (db: Executor, marks: Array<{ id: string, threshold: string }>): Promise<void> {
  if (marks.length === 0) return
  await sql`
    update evaluations e set reminded_threshold = v.threshold
    from unnest(${marks.map((m) => m.id)}::uuid[], ${marks.map((m) => m.threshold)}::text[]) as v(id, threshold)
    where e.id = v.id`.execute(db)
}

async function dueBatch (db: Executor, org: string | null, asOf: string, horizon: string, after: { due_on: string, id: string } | null): Promise<DueRow[]> {
  const rows = await sql<DueRow>`
    select e.id, e.organisation_id, e.kind, e.due_on::text as due_on, e.match_id,
           m.mentor_id, case when mt.status <> 'withdrawn' then mt.email end as mentor_email,
           r.reference, p.name as programme_name
    from evaluations e
    join matches m on m.id = e.match_id
    join referrals r on r.id = m.referral_id
    join programmes p on p.id = e.programme_id
    left join mentors mt on mt.id = m.mentor_id
    where e.status = 'due' and e.due_on <= ${horizon}::date
      and e.reminded_threshold is distinct from (case
        when ${asOf}::date < e.due_on then 'due-soon'
        when ${asOf}::date - e.due_on < 7 then 'due'
        else 'overdue-week-' || ((${asOf}::date - e.due_on) / 7) end)
      ${org !== null ? sql`and e.organisation_id = ${org}` : sql``}
      ${after !== null ? sql`and (e.due_on, e.id) > (${after.due_on}::date, ${after.id}::uuid)` : sql``}
    order by e.due_on, e.id
    limit ${BATCH}`.execute(db)
  return rows.rows
}

/**
 * The daily `evaluation-reminders` job. First it brings lagging schedules up to date (the next
 * annual evaluation of each active match, due dates of paused ones, closures). Then it walks the
 * evaluations still due up to 14 days ahead, in keyset batches, and writes each one's current
 * reminder to the outbox for the programme's coordinators and the match's mentor (and, from four
 * weeks overdue, the organisation's admins). The dedupe key names the evaluation, the threshold and
 * the recipient, so every reminder is written once however often, or however concurrently, it runs;
 * each evaluation also keeps the last threshold written, so a daily run skips those already told
 * and costs what is new rather than what is outstanding.
 */
export async function runEvaluationReminders (ctx: ScheduledJobContext): Promise<Record<string, number>> {
  const { db, org, asOf } = ctx
  const counts = { schedules_synced: 0, evaluations_added: 0, evaluations_moved: 0, evaluations_cancelled: 0, evaluations_considered: 0, reminders_due: 0, notifications_created: 0 }

  const ms = { sync: 0, reminders: 0 }
  let clock = performance.now()
  const lap = (k: keyof typeof ms): void => { const now = performance.now(); ms[k] += now - clock; clock = now }
  let afterMatch: string | null = null
  for (;;) {
    const { ids, synced } = await batch(db, async (trx) => {
      const ids = await matchesNeedingSync(trx, org, asOf, afterMatch, BATCH)
      return { ids, synced: await syncSchedules(trx, ids, asOf) }
    })
    counts.schedules_synced += synced.matches
    counts.evaluations_added += synced.inserted
    counts.evaluations_moved += synced.moved
    counts.evaluations_cancelled += synced.cancelled
    if (ids.length < BATCH) break
    afterMatch = ids[ids.length - 1]
  }
  // A first run after the feature arrives (or a restore) adds many rows at once: refresh the
  // planner's statistics so the scans below keep using the indexes.
  if (counts.evaluations_added >= ANALYZE_AFTER) await sql`analyze evaluations`.execute(db)
  lap('sync')

  const staff = new Map<string, { coordinators: Array<{ id: string, email: string }>, admins: Array<{ id: string, email: string }> }>()
  const staffOf = async (organisationId: string): Promise<{ coordinators: Array<{ id: string, email: string }>, admins: Array<{ id: string, email: string }> }> => {
    let s = staff.get(organisationId)
    if (s === undefined) {
      s = { coordinators: await recipientsWithRole(db, organisationId, 'coordinator'), admins: await recipientsWithRole(db, organisationId, 'admin') }
      staff.set(organisationId, s)
    }
    return s
  }

  const horizon = addDays(asOf, REMINDER_LEAD_DAYS)
  let after: { due_on: string, id: string } | null = null
  for (;;) {
    const { due, written } = await batch(db, async (trx) => {
      const due = await dueBatch(trx, org, asOf, horizon, after)
      const rows: Array<NewNotification & { subject_id: string }> = []
      const marks: Array<{ id: string, threshold: string }> = []
      for (const e of due) {
        counts.evaluations_considered += 1
        const t = reminderThreshold(e.due_on, asOf)
        if (t === null) continue
        counts.reminders_due += 1
        marks.push({ id: e.id, threshold: t.key })
        const s = await staffOf(e.organisation_id)
        const base = { organisation_id: e.organisation_id, kind: 'evaluation_reminder', subject_type: 'evaluation', subject_id: e.id }
        const key = (who: string): string => `evaluation-reminder:${e.id}:${t.key}:${who}`
        const staffMessage = reminderMessage(e, t, 'staff')
        for (const c of s.coordinators) rows.push({ ...base, dedupe_key: key(`user:${c.id}`), recipient: c.email, ...staffMessage })
        if (e.mentor_email !== null) rows.push({ ...base, dedupe_key: key(`mentor:${e.mentor_id}`), recipient: e.mentor_email, ...reminderMessage(e, t, 'mentor') })
        if (t.escalate) {
          const adminMessage = reminderMessage(e, t, 'admin')
          const told = new Set(s.coordinators.map((c) => c.id))
          for (const a of s.admins) if (!told.has(a.id)) rows.push({ ...base, kind: 'evaluation_escalation', dedupe_key: key(`user:${a.id}`), recipient: a.email, ...adminMessage })
        }
      }
      const written = await writeOutbox(trx, rows)
      await markReminded(trx, marks)
      return { due, written }
    })
    counts.notifications_created += written.length
    await ctx.dispatch(written)
    if (due.length < BATCH) break
    const last = due[due.length - 1]
    after = { due_on: last.due_on, id: last.id }
  }
  lap('reminders')
  ctx.log.info({ run_id: ctx.runId, ...counts, ms: { sync: Math.round(ms.sync), reminders: Math.round(ms.reminders) } }, 'evaluation reminders')
  return counts
}
