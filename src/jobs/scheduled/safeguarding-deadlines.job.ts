import type { NewNotification } from '../../db/types.js'
import { insertNotifications } from '../../notifications/notifications.repository.js'
import { deadlineMissed } from '../../notifications/templates/safeguarding.js'
import {
  escalationRecipients,
  lockMissedDeadlines,
  markEscalated,
  type Deadline
} from '../../safeguarding/safeguarding.repository.js'
import type { ScheduledJobContext } from './context.js'

export const ESCALATION_KIND = 'safeguarding_escalation'
const BATCH = 500
const DEADLINES: Deadline[] = ['acknowledgement', 'lado_referral']

/**
 * safeguarding-deadlines (every 15 minutes): each concern whose acknowledgement or LADO referral
 * deadline passed unmet is escalated to every admin and safeguarding lead of its organisation, once
 * per concern and deadline however often the job runs. A batch locks its concerns, writes the messages
 * and marks them escalated in one transaction; a run at the same time skips what another holds, and
 * the dedupe key makes a message impossible to send twice. An organisation with nobody to tell keeps
 * its concerns unescalated, so the next run tells whoever has been added since.
 */
export async function safeguardingDeadlines(ctx: ScheduledJobContext): Promise<Record<string, number>> {
  const counts = {
    deadlines_missed: 0,
    escalated: 0,
    without_recipients: 0,
    notifications_inserted: 0,
    notifications_already_sent: 0
  }
  const when = new Intl.DateTimeFormat('en-GB', { timeZone: ctx.timeZone, dateStyle: 'full', timeStyle: 'short' })
  for (const deadline of DEADLINES) {
    const skipped = new Set<string>()
    for (;;) {
      const ids = await ctx.db.transaction().execute(async (trx) => {
        const due = (await lockMissedDeadlines(trx, deadline, ctx.org, ctx.asOfInstant, BATCH + skipped.size)).filter(
          (c) => !skipped.has(c.id)
        )
        if (due.length === 0) return null
        const rows: NewNotification[] = []
        const escalated: string[] = []
        const staffOf = new Map<string, Array<{ id: string; email: string }>>()
        for (const c of due) {
          let staff = staffOf.get(c.organisation_id)
          if (staff === undefined) {
            staff = await escalationRecipients(trx, c.organisation_id)
            staffOf.set(c.organisation_id, staff)
          }
          counts.deadlines_missed += 1
          if (staff.length === 0) {
            counts.without_recipients += 1
            skipped.add(c.id)
            ctx.log.warn(
              { concern_id: c.id, deadline },
              'missed safeguarding deadline with no admin or safeguarding lead to escalate to'
            )
            continue
          }
          escalated.push(c.id)
          const message = deadlineMissed({
            reference: c.reference,
            category: c.category,
            deadline,
            dueAt: when.format(c.due_at)
          })
          for (const u of staff) {
            rows.push({
              organisation_id: c.organisation_id,
              dedupe_key: `${ESCALATION_KIND}:${c.id}:${deadline}:${u.id}`,
              kind: ESCALATION_KIND,
              recipient: u.email,
              ...message,
              subject_type: 'safeguarding_concern',
              subject_id: c.id
            })
          }
        }
        rows.sort((a, b) => (a.dedupe_key < b.dedupe_key ? -1 : 1))
        const inserted = await insertNotifications(trx, rows)
        await markEscalated(trx, deadline, escalated)
        counts.escalated += escalated.length
        counts.notifications_inserted += inserted.length
        counts.notifications_already_sent += rows.length - inserted.length
        return { inserted, escalated: escalated.length, seen: due.length }
      })
      if (ids === null) break
      await ctx.dispatch(ids.inserted)
      if (ids.escalated === 0 && ids.seen < BATCH) break
    }
  }
  return counts
}
