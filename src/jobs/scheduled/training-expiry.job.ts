import type { RawBuilder } from 'kysely'
import { daysBetween } from '../../lib/dates.js'
import { safeguardingExpiry } from '../../mentors/compliance.js'
import type { ScheduledJobContext } from './context.js'
import { announceClearance } from '../../mentors/clearance.js'
import { CoordinatorCache, emptyCounts, keysetBatches, ProgrammeCache, writeAlertGroups } from './mentor-alerts.js'
import { withSafeguardingTraining, type ScannedMentor, type WithTraining } from '../../mentors/alerts.repository.js'

import { trainingToCoordinator, trainingToMentor } from '../../notifications/templates/mentor-alerts.js'

export const TRAINING_ALERT_KIND = 'training_expiry_alert'

/**
 * The alert due on `asOf` for a training lapsing on `expiresOn`: 30 days before, 7 days before, and on
 * the day it lapses. Each window stays open until the next, so a day the job did not run is caught
 * up; a lapse older than 30 days is not news and sends nothing.
 */
export function trainingThreshold(expiresOn: string, asOf: string): 'due_30' | 'due_7' | 'expired' | null {
  const left = daysBetween(asOf, expiresOn)
  if (left > 30 || left <= -30) return null
  if (left > 7) return 'due_30'
  if (left > 0) return 'due_7'
  return 'expired'
}

/** training-expiry-alerts: safeguarding training lapsing, to the mentor and the organisation's coordinators. */
export async function trainingExpiryAlerts(ctx: ScheduledJobContext): Promise<Record<string, number>> {
  const counts = emptyCounts('due_30', 'due_7', 'expired')
  const programmes = new ProgrammeCache(ctx.db)
  const coordinators = new CoordinatorCache(ctx.db)
  const fetch = async (mentors: RawBuilder<ScannedMentor>): Promise<WithTraining[]> =>
    await withSafeguardingTraining(ctx.db, mentors, ctx.asOf)
  for await (const rows of keysetBatches(ctx, fetch)) {
    const byId = new Map(
      rows.map((r) => [
        r.id,
        {
          id: r.id,
          organisation_id: r.organisation_id,
          email: r.email,
          given_name: r.given_name,
          family_name: r.family_name
        }
      ])
    )
    counts.mentors_scanned += byId.size
    // Clearance can lapse with time alone: a change since the last announced one is a webhook event.
    counts.clearance_changes += await ctx.db
      .transaction()
      .execute(async (trx) => await announceClearance(trx, [...byId.keys()], ctx.asOf))
    await programmes.load(rows.flatMap((r) => (r.programme_id === null ? [] : [r.programme_id])))
    // One alert per mentor and expiry date, naming every programme it lapses for.
    const grouped = new Map<
      string,
      {
        mentorId: string
        expires_on: string
        threshold: NonNullable<ReturnType<typeof trainingThreshold>>
        programmes: string[]
      }
    >()
    for (const r of rows) {
      const p = r.programme_id === null ? undefined : programmes.get(r.programme_id)
      if (p === undefined || r.completed_on === null) continue
      const expiry = safeguardingExpiry(
        [{ kind: 'safeguarding', completed_on: r.completed_on, hours: 0 }],
        p.req,
        ctx.asOf
      )
      if (expiry === null) continue
      const threshold = trainingThreshold(expiry.expires_on, ctx.asOf)
      if (threshold === null) continue
      const key = `${r.id}:${expiry.expires_on}`
      const g = grouped.get(key) ?? { mentorId: r.id, expires_on: expiry.expires_on, threshold, programmes: [] }
      g.programmes.push(p.name)
      grouped.set(key, g)
    }
    const mentorOf = (id: string): ScannedMentor => {
      const m = byId.get(id)
      if (m === undefined) throw new Error(`mentor ${id} is not in the batch`)
      return m
    }
    await writeAlertGroups(ctx, grouped.values(), counts, coordinators, (g, names) => ({
      mentor: mentorOf(g.mentorId),
      kind: TRAINING_ALERT_KIND,
      threshold: g.threshold,
      expires_on: g.expires_on,
      programmes: names,
      mentorMessage: trainingToMentor({ threshold: g.threshold, expiresOn: g.expires_on, programmes: names }),
      coordinatorMessage: (matches) =>
        trainingToCoordinator({
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
