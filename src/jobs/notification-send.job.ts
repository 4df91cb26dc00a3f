import { UnrecoverableError, type Job } from 'bullmq'
import type { Database } from '../db/database.js'
import { PermanentSendError, type Mailer } from '../notifications/mailer.js'
import type { NotificationJob } from './queues.js'
import { LOCK_NOT_AVAILABLE, lockPending, markSent, recordFailure } from '../notifications/notifications.repository.js'
import { acknowledge } from '../referrals/referrals.service.js'
import { recordAccess } from '../audit/audit.repository.js'
import type { DB, NotificationRow } from '../db/types.js'
import type { Transaction } from 'kysely'

/** What a sent message changes besides its own row, in the same transaction. */
async function afterSent(trx: Transaction<DB>, n: NotificationRow): Promise<void> {
  if (n.kind === 'referral_acknowledgement' && n.subject_id !== null) {
    if (await acknowledge(trx, n.organisation_id, n.subject_id)) {
      const who = {
        org: n.organisation_id,
        actorId: 'system',
        actorRole: 'system',
        purpose: 'acknowledgement sent to the referrer',
        requestId: `notification:${n.id}`
      }
      await recordAccess(trx, who, [
        { action: 'status_change', resourceType: 'referral', resourceId: n.subject_id, referralId: n.subject_id }
      ])
    }
  }
}

/** How long a job waits for a notification another worker is sending before trying again later. */
const LOCK_WAIT_MS = 15_000

/**
 * Sends one outbox message. The row stays locked while the provider is called and is marked sent in
 * the same transaction, so a duplicate job, a retry or a second worker waits for the lock, finds the
 * row sent and does nothing. A worker that dies mid-send loses its connection, PostgreSQL rolls the
 * transaction back and the row is pending again for the job's next attempt.
 */
export function notificationProcessor(db: Database, mailer: Mailer) {
  return async function process(job: Job<NotificationJob>): Promise<'sent' | 'skipped'> {
    const id = job.data.notification_id
    try {
      return await db.transaction().execute(async (trx) => {
        const n = await lockPending(trx, id, LOCK_WAIT_MS)
        if (n === undefined) return 'skipped'
        const providerId = await mailer
          .send({ notificationId: n.id, kind: n.kind, to: n.recipient, subject: n.subject, body: n.body })
          .catch((err: unknown) => {
            throw err instanceof PermanentSendError ? new UnrecoverableError(err.message) : err
          })
        await markSent(trx, n.id, mailer.name, providerId)
        await afterSent(trx, n)
        return 'sent'
      })
    } catch (err) {
      // Another holder kept the row locked: nothing was attempted, so nothing is recorded.
      if ((err as { code?: string }).code === LOCK_NOT_AVAILABLE) throw err
      const final = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)
      await recordFailure(db, id, (err as Error).message, final).catch(() => {})
      throw err
    }
  }
}
