import { batchTransaction } from '../../db/database.js'
import type { Database } from '../../db/database.js'
import type { Transaction } from 'kysely'
import type { DB } from '../../db/types.js'
import type { ScheduledJobContext } from './context.js'
import {
  commitWithoutFlush,
  dueConcerns,
  dueMentors,
  dueNotifications,
  dueReferrals,
  deleteExpiredIdempotencyKeys,
  findSchedule,
  heldPastTime,
  organisationIds,
  type RetentionWindow
} from '../../data-protection/retention.repository.js'
import {
  anonymiseConcerns,
  anonymiseMentors,
  anonymiseNotifications,
  anonymiseReferrals,
  type Disposed
} from '../../data-protection/anonymise.repository.js'
import { recordEvents } from '../../data-protection/events.repository.js'
import { jobAccessor } from '../../audit/accessor.js'
import { IDEMPOTENCY_KEY_HOURS } from '../../data-protection/retention-classes.js'
import { deleteDueWebhookEvents } from '../../data-protection/webhook-retention.repository.js'

const BATCH = 2000
const KEY_BATCH = 10_000

type Counts = Record<string, number>
const countName = (kind: string): string => `${kind}${kind.endsWith('h') ? 'es' : 's'}_anonymised`

/**
 * Walks one class in batches, each in its own short transaction: the rows chosen are locked, anonymised
 * and audited together, so a run that dies loses at most its open batch, which the next run redoes.
 */
/** Walkers per class: concurrent batches skip each other's locked rows, so two share a class safely. */
const WALKERS = 2

async function walk<P>(
  db: Database,
  counts: Counts,
  org: string,
  runId: string,
  choose: (trx: Transaction<DB>, after: P | null) => Promise<{ ids: string[]; next: P | null }>,
  dispose: (trx: Transaction<DB>, ids: string[]) => Promise<Disposed>
): Promise<void> {
  let after: P | null = null
  for (;;) {
    const done: number = await batchTransaction(db, async (trx) => {
      // A batch lost with the server is chosen again by the next run: its changes and events go together.
      await commitWithoutFlush(trx)
      const { ids, next } = await choose(trx, after)
      if (ids.length === 0) return 0
      const disposed = await dispose(trx, ids)
      await recordEvents(
        trx,
        { ...jobAccessor(org, 'retention', runId), purpose: 'retention schedule' },
        'dispose',
        disposed
      )
      for (const r of disposed) counts[countName(r.type)] = (counts[countName(r.type)] ?? 0) + 1
      after = next
      return ids.length
    })
    if (done < BATCH) return
  }
}

const byId = (ids: string[]): { ids: string[]; next: string | null } => ({
  ids,
  next: ids.length === 0 ? null : ids[ids.length - 1]
})

/**
 * retention: anonymises what is past its time in each organisation's schedule (a legal hold keeps a
 * record as it is), deletes webhook events and their deliveries past the notification class's months,
 * and deletes idempotency keys older than a day. Safe to run twice or at once:
 * anonymised records are marked, and concurrent runs skip each other's locked rows.
 */
export async function retention(ctx: ScheduledJobContext): Promise<Counts> {
  const counts: Counts = {
    referrals_anonymised: 0,
    mentors_anonymised: 0,
    concerns_anonymised: 0,
    notifications_anonymised: 0,
    held_skipped: 0,
    idempotency_keys_deleted: 0,
    webhook_events_deleted: 0,
    webhook_deliveries_deleted: 0
  }
  const tz = ctx.timeZone
  for (const org of await organisationIds(ctx.db, ctx.org)) {
    const w: RetentionWindow = { org, asOf: ctx.asOf, tz, classes: (await findSchedule(ctx.db, org)).classes }
    const each = async (fn: () => Promise<void>): Promise<void> => {
      await Promise.all(Array.from({ length: WALKERS }, fn))
    }
    await each(async () => {
      await walk(
        ctx.db,
        counts,
        org,
        ctx.runId,
        async (trx, after: string | null) => byId(await dueReferrals(trx, w, after, BATCH)),
        anonymiseReferrals
      )
    })
    await each(async () => {
      await walk(
        ctx.db,
        counts,
        org,
        ctx.runId,
        async (trx, after: string | null) => byId(await dueMentors(trx, w, after, BATCH)),
        anonymiseMentors
      )
    })
    await each(async () => {
      await walk(
        ctx.db,
        counts,
        org,
        ctx.runId,
        async (trx, after: string | null) => byId(await dueConcerns(trx, w, after, BATCH)),
        anonymiseConcerns
      )
    })
    await each(async () => {
      await walk(
        ctx.db,
        counts,
        org,
        ctx.runId,
        async (trx, after: { at: string; id: string } | null) => {
          const rows = await dueNotifications(trx, w, after, BATCH)
          return { ids: rows.map((r) => r.id), next: rows.length === 0 ? null : rows[rows.length - 1] }
        },
        anonymiseNotifications
      )
    })
    const held = await heldPastTime(ctx.db, w)
    counts.held_skipped += held.referrals + held.mentors
    // Webhook events and their delivery logs go whole after the notification class's months.
    for (;;) {
      const gone = await deleteDueWebhookEvents(ctx.db, w, KEY_BATCH)
      counts.webhook_events_deleted += gone.events
      counts.webhook_deliveries_deleted += gone.deliveries
      if (gone.events < KEY_BATCH) break
    }
  }
  for (;;) {
    const n = await deleteExpiredIdempotencyKeys(ctx.db, ctx.org, ctx.asOf, tz, IDEMPOTENCY_KEY_HOURS, KEY_BATCH)
    counts.idempotency_keys_deleted += n
    if (n < KEY_BATCH) break
  }
  return counts
}
