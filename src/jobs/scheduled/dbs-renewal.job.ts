import { daysBetween } from '../../lib/dates.js'
import type { RawBuilder } from 'kysely'
import { bestDbs } from '../../mentors/compliance.js'
import type { ScheduledJobContext } from './context.js'
import { announceClearance } from '../../mentors/clearance.js'
import { CoordinatorCache, emptyCounts, keysetBatches, ProgrammeCache, writeAlertGroups } from './mentor-alerts.js'
import { withDbsChecks, type ScannedMentor, type WithDbs } from '../../mentors/alerts.repository.js'
import {
  dbsToCoordinator,
  dbsToMentor,
  type DbsThreshold as Threshold
} from '../../notifications/templates/mentor-alerts.js'

export const DBS_ALERT_KIND = 'dbs_renewal_alert'
type Row = WithDbs

/**
 * The alert due on `asOf` for the DBS check that lasts longest: renewal due within 60 days (unless a
 * renewal is already in progress) or lapsed; on the Update Service, a status check due within 30 days
 * or missed. A lapse older than 30 days sends nothing.
 */
export function dbsThreshold(
  expiresOn: string,
  asOf: string,
  updateService: boolean,
  renewalInProgress: boolean
): Threshold | null {
  const left = daysBetween(asOf, expiresOn)
  if (left <= -30) return null
  if (updateService) {
    if (left > 30) return null
    return left > 0 ? 'status_check_due' : 'status_check_overdue'
  }
  if (left > 60) return null
  if (left > 0) return renewalInProgress ? null : 'due_60'
  return 'overdue'
}

/** dbs-renewal-alerts: DBS renewal or Update Service status check due, to the mentor and the coordinators. */
export async function dbsRenewalAlerts(ctx: ScheduledJobContext): Promise<Record<string, number>> {
  const counts = emptyCounts('due_60', 'overdue', 'status_check_due', 'status_check_overdue')
  const programmes = new ProgrammeCache(ctx.db)
  const coordinators = new CoordinatorCache(ctx.db)
  const fetch = async (mentors: RawBuilder<ScannedMentor>): Promise<Row[]> => await withDbsChecks(ctx.db, mentors)
  for await (const batch of keysetBatches(ctx, fetch)) {
    counts.mentors_scanned += batch.length
    const byId = new Map(batch.map((m) => [m.id, m]))
    // Clearance can lapse with time alone: a change since the last announced one is a webhook event.
    counts.clearance_changes += await ctx.db
      .transaction()
      .execute(async (trx) => await announceClearance(trx, [...byId.keys()], ctx.asOf))
    const records = new Map(batch.map((m) => [m.id, m.dbs]))
    const links = batch.flatMap((m) =>
      m.programme_ids.map((programmeId) => ({ mentor_id: m.id, programme_id: programmeId }))
    )
    await programmes.load(links.map((l) => l.programme_id))

    const grouped = new Map<
      string,
      { mentorId: string; expires_on: string; threshold: Threshold; programmes: string[] }
    >()
    for (const l of links) {
      const p = programmes.get(l.programme_id)
      if (p === undefined) continue
      const best = bestDbs(records.get(l.mentor_id) ?? [], p.req, ctx.asOf)
      if (best === null) continue
      const threshold = dbsThreshold(
        best.expires_on,
        ctx.asOf,
        best.record.update_service_subscribed,
        best.record.renewal_in_progress
      )
      if (threshold === null) continue
      const key = `${l.mentor_id}:${threshold}:${best.expires_on}`
      const g = grouped.get(key) ?? { mentorId: l.mentor_id, expires_on: best.expires_on, threshold, programmes: [] }
      g.programmes.push(p.name)
      grouped.set(key, g)
    }
    const mentorOf = (id: string): ScannedMentor => {
      const m = byId.get(id)
      if (m === undefined) throw new Error(`mentor ${id} is not in the batch`)
      return {
        id: m.id,
        organisation_id: m.organisation_id,
        email: m.email,
        given_name: m.given_name,
        family_name: m.family_name
      }
    }
    await writeAlertGroups(ctx, grouped.values(), counts, coordinators, (g, names) => ({
      mentor: mentorOf(g.mentorId),
      kind: DBS_ALERT_KIND,
      threshold: g.threshold,
      expires_on: g.expires_on,
      programmes: names,
      mentorMessage: dbsToMentor({ threshold: g.threshold, expiresOn: g.expires_on, programmes: names }),
      coordinatorMessage: (matches) =>
        dbsToCoordinator({
          mentor: mentorOf(g.mentorId),
          threshold: g.threshold,
          expiresOn: g.expires_on,
          programmes: names,
          matches
        })
    }))
  }
  return counts
}
