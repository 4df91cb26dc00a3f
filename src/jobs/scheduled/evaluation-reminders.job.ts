import { batchTransaction as batch } from '../../db/database.js'
import type { ScheduledJobContext } from './context.js'
import type { NewNotification } from '../../db/types.js'
import { recipientsWithRole } from '../../users/users.repository.js'
import { addDays } from '../../lib/dates.js'
import { REMINDER_LEAD_DAYS, reminderThreshold, type Threshold } from '../../evaluations/reminders.js'
import {
  analyzeEvaluations,
  dueBatch,
  markReminded,
  matchesNeedingSync,
  type DueRow
} from '../../evaluations/evaluations.repository.js'
import { insertNotificationsBulk } from '../../notifications/notifications.repository.js'
import { syncSchedules } from '../../evaluations/evaluations.service.js'
import { evaluationReminder, type EvaluationReminderFacts } from '../../notifications/templates/evaluations.js'
import type { Message } from '../../notifications/templates/message.js'

const BATCH = 1000
const ANALYZE_AFTER = 10_000

/** The reminder's text for one audience, from the catalogue. */
function reminderMessage(row: DueRow, t: Threshold, audience: EvaluationReminderFacts['audience']): Message {
  return evaluationReminder({
    kind: row.kind,
    dueOn: row.due_on,
    reference: row.reference,
    programme: row.programme_name,
    days: t.days,
    weeksOverdue: t.weeksOverdue,
    audience
  })
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
export async function runEvaluationReminders(ctx: ScheduledJobContext): Promise<Record<string, number>> {
  const { db, org, asOf } = ctx
  const counts = {
    schedules_synced: 0,
    evaluations_added: 0,
    evaluations_moved: 0,
    evaluations_cancelled: 0,
    evaluations_considered: 0,
    reminders_due: 0,
    notifications_created: 0
  }

  const ms = { sync: 0, reminders: 0 }
  let clock = performance.now()
  const lap = (k: keyof typeof ms): void => {
    const now = performance.now()
    ms[k] += now - clock
    clock = now
  }
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
  if (counts.evaluations_added >= ANALYZE_AFTER) await analyzeEvaluations(db)
  lap('sync')

  const staff = new Map<
    string,
    { coordinators: Array<{ id: string; email: string }>; admins: Array<{ id: string; email: string }> }
  >()
  const staffOf = async (
    organisationId: string
  ): Promise<{ coordinators: Array<{ id: string; email: string }>; admins: Array<{ id: string; email: string }> }> => {
    let s = staff.get(organisationId)
    if (s === undefined) {
      s = {
        coordinators: await recipientsWithRole(db, organisationId, 'coordinator'),
        admins: await recipientsWithRole(db, organisationId, 'admin')
      }
      staff.set(organisationId, s)
    }
    return s
  }

  const horizon = addDays(asOf, REMINDER_LEAD_DAYS)
  let after: { due_on: string; id: string } | null = null
  for (;;) {
    const { due, written } = await batch(db, async (trx) => {
      const due = await dueBatch(trx, org, asOf, horizon, after, BATCH)
      const rows: Array<NewNotification & { subject_id: string }> = []
      const marks: Array<{ id: string; threshold: string }> = []
      for (const e of due) {
        counts.evaluations_considered += 1
        const t = reminderThreshold(e.due_on, asOf)
        if (t === null) continue
        counts.reminders_due += 1
        marks.push({ id: e.id, threshold: t.key })
        const s = await staffOf(e.organisation_id)
        const base = {
          organisation_id: e.organisation_id,
          kind: 'evaluation_reminder',
          subject_type: 'evaluation',
          subject_id: e.id
        }
        const key = (who: string): string => `evaluation-reminder:${e.id}:${t.key}:${who}`
        const staffMessage = reminderMessage(e, t, 'staff')
        for (const c of s.coordinators)
          rows.push({ ...base, dedupe_key: key(`user:${c.id}`), recipient: c.email, ...staffMessage })
        if (e.mentor_email !== null)
          rows.push({
            ...base,
            dedupe_key: key(`mentor:${e.mentor_id}`),
            recipient: e.mentor_email,
            ...reminderMessage(e, t, 'mentor')
          })
        if (t.escalate) {
          const adminMessage = reminderMessage(e, t, 'admin')
          const told = new Set(s.coordinators.map((c) => c.id))
          for (const a of s.admins)
            if (!told.has(a.id))
              rows.push({
                ...base,
                kind: 'evaluation_escalation',
                dedupe_key: key(`user:${a.id}`),
                recipient: a.email,
                ...adminMessage
              })
        }
      }
      const written = await insertNotificationsBulk(trx, rows)
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
  ctx.log.info(
    { run_id: ctx.runId, ...counts, ms: { sync: Math.round(ms.sync), reminders: Math.round(ms.reminders) } },
    'evaluation reminders'
  )
  return counts
}
