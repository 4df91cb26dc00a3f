import type { NewNotification } from '../../db/types.js'
import { insertNotifications } from '../../notifications/notifications.repository.js'
import { recipientsWithRole } from '../../users/users.repository.js'
import { sessionGaps } from '../../matches/activity.repository.js'
import type { ScheduledJobContext } from './context.js'
import { sessionGapAlert } from '../../notifications/templates/matches.js'

export const SESSION_GAP_KIND = 'session_gap_alert'
const BATCH = 1000

/**
 * session-gap-alerts: an active match with no session for the programme's `session_alert_weeks`
 * (counted from its last session, or from its start when it has none) alerts every coordinator once
 * per match and gap: the dedupe key names the day the gap began, so a new session starts a new gap.
 */
export async function sessionGapAlerts(ctx: ScheduledJobContext): Promise<Record<string, number>> {
  const counts = { matches_with_gap: 0, notifications_inserted: 0, notifications_already_sent: 0 }
  const coordinators = new Map<string, Array<{ id: string; email: string }>>()
  let after: string | null = null
  for (;;) {
    const gaps = await sessionGaps(ctx.db, ctx.org, ctx.asOf, after, BATCH)
    if (gaps.length === 0) break
    counts.matches_with_gap += gaps.length
    const rows: NewNotification[] = []
    for (const g of gaps) {
      let staff = coordinators.get(g.organisation_id)
      if (staff === undefined) {
        staff = (await recipientsWithRole(ctx.db, g.organisation_id, 'coordinator')).map((u) => ({
          id: u.id,
          email: u.email
        }))
        coordinators.set(g.organisation_id, staff)
      }
      const message = sessionGapAlert({ reference: g.reference, since: g.since, alertWeeks: g.alert_weeks })
      for (const c of staff) {
        rows.push({
          organisation_id: g.organisation_id,
          dedupe_key: `${SESSION_GAP_KIND}:${g.match_id}:${g.since}:${c.id}`,
          kind: SESSION_GAP_KIND,
          recipient: c.email,
          ...message,
          subject_type: 'match',
          subject_id: g.match_id
        })
      }
    }
    rows.sort((a, b) => (a.dedupe_key < b.dedupe_key ? -1 : 1))
    const ids = await insertNotifications(ctx.db, rows)
    counts.notifications_inserted += ids.length
    counts.notifications_already_sent += rows.length - ids.length
    await ctx.dispatch(ids)
    if (gaps.length < BATCH) break
    after = gaps[gaps.length - 1].match_id
  }
  return counts
}
