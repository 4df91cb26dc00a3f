import type { RawBuilder } from 'kysely'
import type { NewNotification } from '../../db/types.js'
import type { Executor } from '../../db/database.js'
import { insertNotifications } from '../../notifications/notifications.repository.js'
import { recipientsWithRole } from '../../users/users.repository.js'
import { requirementsOf, type MentorRequirements } from '../../mentors/compliance.js'
import { scannedMentors, type ScannedMentor } from '../../mentors/alerts.repository.js'
import { programmesByIds } from '../../programmes/programmes.repository.js'
import type { ScheduledJobContext } from './context.js'
import type { Message } from '../../notifications/templates/message.js'
import { activeMatchesForMentors, flagMatchesForMentors } from '../../matches/matches.repository.js'
import { jobAccessor } from '../../audit/accessor.js'

export const SCAN_BATCH = 2000
export const INSERT_BATCH = 1000

/**
 * Walks the mentors in keyset batches by id, so memory stays flat however many there are and a
 * batch costs the same at the start and the end. `fetch` reads a batch and whatever the job needs
 * beside it in one query, given the keyset subquery; rows come back ordered by mentor id.
 */
export async function* keysetBatches<R extends { id: string }>(
  ctx: ScheduledJobContext,
  fetch: (mentors: RawBuilder<ScannedMentor>) => Promise<R[]>,
  size = SCAN_BATCH
): AsyncGenerator<R[]> {
  let rows = await fetch(scannedMentors(ctx.org, null, size))
  while (rows.length > 0) {
    const last = new Set(rows.map((r) => r.id)).size < size
    // Read the next batch while this one is processed: two batches in memory at most.
    const next = last ? Promise.resolve([]) : fetch(scannedMentors(ctx.org, rows[rows.length - 1].id, size))
    next.catch(() => {})
    yield rows
    rows = await next
  }
}

/** Programme names and requirements, read once per run. */
export class ProgrammeCache {
  private readonly cache = new Map<string, { name: string; req: MentorRequirements }>()
  constructor(private readonly db: Executor) {}

  async load(ids: Iterable<string>): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.cache.has(id))
    if (missing.length === 0) return
    const rows = await programmesByIds(this.db, missing)
    for (const r of rows) this.cache.set(r.id, { name: r.name, req: requirementsOf(r.rules) })
  }

  get(id: string): { name: string; req: MentorRequirements } | undefined {
    return this.cache.get(id)
  }
}

/** Each organisation's coordinators, read once per run. */
export class CoordinatorCache {
  private readonly cache = new Map<string, Array<{ id: string; email: string }>>()
  constructor(private readonly db: Executor) {}

  async of(org: string): Promise<Array<{ id: string; email: string }>> {
    let list = this.cache.get(org)
    if (list === undefined) {
      list = (await recipientsWithRole(this.db, org, 'coordinator')).map((u) => ({ id: u.id, email: u.email }))
      this.cache.set(org, list)
    }
    return list
  }
}

/** The active matches of each mentor, named in the alerts to coordinators. */
export async function activeMatchesByMentor(
  db: Executor,
  org: string,
  mentorIds: string[]
): Promise<Map<string, Array<{ id: string; reference: string }>>> {
  const out = new Map<string, Array<{ id: string; reference: string }>>()
  for (const m of await activeMatchesForMentors(db, org, mentorIds)) {
    out.set(m.mentor_id, [...(out.get(m.mentor_id) ?? []), { id: m.id, reference: m.reference }])
  }
  return out
}

/** Alert thresholds that mean the mentor is no longer cleared: its active matches are flagged. */
export const LAPSED_THRESHOLDS = new Set(['expired', 'overdue', 'status_check_overdue'])

/**
 * Writes outbox rows in bulk, a statement per INSERT_BATCH rows, in dedupe-key order (two runs at
 * once then meet the same keys in the same order). A key already present is skipped: that is what
 * makes each alert go once however often the job runs. Returns how many rows were new.
 */
export async function writeAlerts(ctx: ScheduledJobContext, rows: NewNotification[]): Promise<number> {
  const sorted = [...rows].sort((a, b) => (a.dedupe_key < b.dedupe_key ? -1 : a.dedupe_key > b.dedupe_key ? 1 : 0))
  let inserted = 0
  for (let i = 0; i < sorted.length; i += INSERT_BATCH) {
    const ids = await insertNotifications(ctx.db, sorted.slice(i, i + INSERT_BATCH))
    inserted += ids.length
    await ctx.dispatch(ids)
  }
  return inserted
}

export interface Alert {
  mentor: ScannedMentor
  kind: string
  /** e.g. due_30, due_7, expired: one alert per mentor, kind, threshold and expiry date. */
  threshold: string
  expires_on: string
  programmes: string[]
  mentorMessage: Message
  coordinatorMessage: (matches: Array<{ reference: string }>) => Message
}

/** The mentor's and each coordinator's copy of every alert, as outbox rows. */
export async function alertRows(
  ctx: ScheduledJobContext,
  alerts: Alert[],
  coordinators: CoordinatorCache
): Promise<NewNotification[]> {
  const rows: NewNotification[] = []
  const byOrg = new Map<string, Alert[]>()
  for (const a of alerts) byOrg.set(a.mentor.organisation_id, [...(byOrg.get(a.mentor.organisation_id) ?? []), a])
  for (const [org, list] of byOrg) {
    const staff = await coordinators.of(org)
    const matches = await activeMatchesByMentor(ctx.db, org, [...new Set(list.map((a) => a.mentor.id))])
    for (const a of list) {
      if (LAPSED_THRESHOLDS.has(a.threshold) && (matches.get(a.mentor.id)?.length ?? 0) > 0) {
        // The job is named after its alert kind (training_expiry_alert: training-expiry-alerts).
        await flagMatchesForMentors(
          ctx.db,
          jobAccessor(org, `${a.kind.replace(/_alert$/, '').replace(/_/g, '-')}-alerts`, ctx.runId),
          [a.mentor.id],
          `${a.kind.replace(/_/g, ' ')}: ${a.threshold.replace(/_/g, ' ')} on ${a.expires_on}`
        )
      }
    }
    for (const a of list) {
      const key = `${a.kind}:${a.mentor.id}:${a.threshold}:${a.expires_on}`
      const base = { organisation_id: org, kind: a.kind, subject_type: 'mentor', subject_id: a.mentor.id }
      rows.push({ ...base, dedupe_key: `${key}:mentor`, recipient: a.mentor.email, ...a.mentorMessage })
      const message = a.coordinatorMessage(matches.get(a.mentor.id) ?? [])
      for (const c of staff)
        rows.push({ ...base, dedupe_key: `${key}:coordinator:${c.id}`, recipient: c.email, ...message })
    }
  }
  return rows
}

/** One alert to send: a mentor, a threshold and an expiry date, naming every programme it concerns. */
export interface AlertGroup<T extends string> {
  mentorId: string
  expires_on: string
  threshold: T
  programmes: string[]
}

/**
 * Turns a batch's groups into alerts, counts them by threshold and writes the mentor's and coordinators'
 * copies to the outbox; rows already there (sent by an earlier run) are counted, not written again.
 */
export async function writeAlertGroups<T extends string>(
  ctx: ScheduledJobContext,
  groups: Iterable<AlertGroup<T>>,
  counts: Record<string, number>,
  coordinators: CoordinatorCache,
  toAlert: (group: AlertGroup<T>, programmes: string[]) => Alert
): Promise<void> {
  const alerts = [...groups].map((g) => {
    counts[g.threshold] += 1
    return toAlert(g, g.programmes.sort())
  })
  counts.alerts += alerts.length
  const outbox = await alertRows(ctx, alerts, coordinators)
  const inserted = await writeAlerts(ctx, outbox)
  counts.notifications_inserted += inserted
  counts.notifications_already_sent += outbox.length - inserted
}

export function emptyCounts(...keys: string[]): Record<string, number> {
  return Object.fromEntries(
    [
      'mentors_scanned',
      'alerts',
      'notifications_inserted',
      'notifications_already_sent',
      'clearance_changes',
      ...keys
    ].map((k) => [k, 0])
  )
}
