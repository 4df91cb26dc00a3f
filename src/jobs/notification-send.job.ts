import { UnrecoverableError, type Job } from 'bullmq'
import type { Database } from '../db/database.js'
import type { Mailer } from '../notifications/mailer.js'
import type { NotificationJob } from './queues.js'
import { lockPending, markSent, recordFailure } from '../notifications/notifications.repository.js'
import { lockReferral, updateReferral, insertHistory } from '../referrals/referrals.repository.js'
import type { NotificationRow } from '../db/types.js'
import type { Transaction } from 'kysely'
import type { DB } from '../db/types.js'

/** What a sent message changes besides its own row, in the same transaction. */
async function afterSent (trx: Transaction<DB>, n: NotificationRow): Promise<void> {
  if (n.kind === 'referral_acknowledgement' && n.subject_id !== null) {
    const referral = await lockReferral(trx, { org: n.organisation_id }, n.subject_id)
    if (referral?.status === 'submitted') {
      await updateReferral(trx, referral.id, { status: 'acknowledged' })
      await insertHistory(trx, { referral_id: referral.id, from_status: 'submitted', to_status: 'acknowledged', actor_id: 'system', actor_role: 'system', reason: 'acknowledgement sent to the referrer' })
    }
  }
}

/**
 * Sends one outbox message. The row stays locked while the provider is called and is marked sent in
 * the same transaction, so a duplicate job, a retry or a second worker finds it locked or already
 * sent and does nothing.
 */
export function notificationProcessor (db: Database, mailer: Mailer) {
  return async function process (job: Job<NotificationJob>): Promise<'sent' | 'skipped'> {
    const id = job.data.notification_id
    try {
      return await db.transaction().execute(async (trx) => {
        const n = await lockPending(trx, id)
        if (n === undefined) return 'skipped'
        const providerId = await mailer.send({ notificationId: n.id, kind: n.kind, to: n.recipient, subject: n.subject, body: n.body })
        await markSent(trx, n.id, mailer.name, providerId)
        await afterSent(trx, n)
        return 'sent'
      })
    } catch (err) {
      const final = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)
      await recordFailure(db, id, (err as Error).message, final).catch(() => {})
      throw err
    }
  }
}
