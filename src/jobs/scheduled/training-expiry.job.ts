import { sql } from 'kysely'
import { daysBetween } from '../../lib/dates.js'
import { safeguardingExpiry } from '../../mentors/compliance.js'
import type { ScheduledJobContext } from './registry.js'
import { alertRows, CoordinatorCache, emptyCounts, mentorBatches, ProgrammeCache, writeAlerts, type Alert } from './mentor-alerts.js'
import { trainingToCoordinator, trainingToMentor } from './alert-templates.js'

export const TRAINING_ALERT_KIND = 'training_expiry_alert'

/**
 * The alert due on `asOf` for a training lapsing on `expiresOn`: 30 days before, 7 days before, and on
 * the day it lapses. Each window stays open until the next, so a day the job did not run is caught
 * up; a lapse older than 30 days is not news and sends nothing.
 */
export function trainingThreshold (expiresOn: string, asOf: string): 'due_30' | 'due_7' | 'expired' | null {
  const left = daysBetween(asOf, expiresOn)
  if (left > 30 || left <= -30) return null
  if (left > 7) return 'due_30'
  if (left > 0) return 'due_7'
  return 'expired'
}

/** training-expiry-alerts: safeguarding training lapsing, to the mentor and the organisation's coordinators. */
export async function trainingExpiryAlerts (ctx: ScheduledJobContext): Promise<Record<string, number>> {
  const counts = emptyCounts('due_30', 'due_7', 'expired')
  const programmes = new ProgrammeCache(ctx.db)
  const coordinators = new CoordinatorCache(ctx.db)
  for await (const batch of mentorBatches(ctx)) {
    counts.mentors_scanned += batch.length
    const byId = new Map(batch.map((m) => [m.id, m]))
    // The latest safeguarding training of each mentor, beside each programme it serves.
    const rows = await ctx.db.selectFrom('mentor_programmes as mp')
      .leftJoin('mentor_trainings as t', (j) => j.onRef('t.mentor_id', '=', 'mp.mentor_id').on('t.kind', '=', 'safeguarding').on('t.completed_on', '<=', sql<string>`${ctx.asOf}::date`))
      .select(['mp.mentor_id', 'mp.programme_id', (eb) => eb.fn.max('t.completed_on').as('completed_on')])
      .where('mp.mentor_id', 'in', [...byId.keys()])
      .groupBy(['mp.mentor_id', 'mp.programme_id'])
      .execute()
    await programmes.load(rows.map((r) => r.programme_id))
    // One alert per mentor and expiry date, naming every programme it lapses for.
    const grouped = new Map<string, { mentorId: string, expires_on: string, threshold: NonNullable<ReturnType<typeof trainingThreshold>>, programmes: string[] }>()
    for (const r of rows) {
      const p = programmes.get(r.programme_id)
      if (p === undefined || r.completed_on === null) continue
      const expiry = safeguardingExpiry([{ kind: 'safeguarding', completed_on: r.completed_on as string, hours: 0 }], p.req, ctx.asOf)
      if (expiry === null) continue
      const threshold = trainingThreshold(expiry.expires_on, ctx.asOf)
      if (threshold === null) continue
      const key = `${r.mentor_id}:${expiry.expires_on}`
      const g = grouped.get(key) ?? { mentorId: r.mentor_id, expires_on: expiry.expires_on, threshold, programmes: [] }
      g.programmes.push(p.name)
      grouped.set(key, g)
    }
    const alerts: Alert[] = [...grouped.values()].map((g) => {
      const names = g.programmes.sort()
      counts[g.threshold] += 1
      return {
        mentor: byId.get(g.mentorId) as Alert['mentor'],
        kind: TRAINING_ALERT_KIND,
        threshold: g.threshold,
        expires_on: g.expires_on,
        programmes: names,
        mentorMessage: trainingToMentor(g.threshold, g.expires_on, names),
        coordinatorMessage: (matches) => trainingToCoordinator(g.mentorId, g.threshold, g.expires_on, names, matches)
      }
    })
    counts.alerts += alerts.length
    const outbox = await alertRows(ctx, alerts, coordinators)
    const inserted = await writeAlerts(ctx, outbox)
    counts.notifications_inserted += inserted
    counts.notifications_already_sent += outbox.length - inserted
  }
  return counts
}
