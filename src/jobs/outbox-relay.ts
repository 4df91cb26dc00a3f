import type { Queue } from 'bullmq'
import type { Logger } from 'pino'
import type { Database } from '../db/database.js'
import { claimForRelay } from '../notifications/notifications.repository.js'
import type { NotificationJob } from './queues.js'
import { addNotificationJobs, URGENT_KINDS } from './dispatch.js'

/**
 * Moves outbox rows the API could not enqueue (Redis down, a crash between commit and enqueue) onto
 * the queue, and rows whose job was lost or failed without recording it (claimed again after two
 * minutes). The sender's row lock makes a second job for the same row harmless.
 */
export function startOutboxRelay (db: Database, queue: Queue<NotificationJob>, log: Logger, intervalMs: number): { stop: () => Promise<void> } {
  let running: Promise<void> | null = null
  let stopped = false
  const tick = async (): Promise<void> => {
    try {
      for (;;) {
        const ids = await db.transaction().execute(async (trx) => {
          const claimed = await claimForRelay(trx, intervalMs * 3, 500)
          // Enqueue before the claim commits: if Redis is down, the claim rolls back too. A first claim
          // uses the notification id as job id, so a job the API already queued (perhaps waiting out a
          // retry backoff) is not doubled; a reclaim needs a fresh id, since BullMQ keeps old ones.
          // Safeguarding alerts keep their priority when the relay queues them.
          const suffix = `:relay:${Date.now()}`
          for (const urgent of [true, false]) {
            const rows = claimed.filter((c) => URGENT_KINDS.has(c.kind) === urgent)
            await addNotificationJobs(queue, rows.filter((c) => !c.reclaimed).map((c) => c.id), { urgent })
            await addNotificationJobs(queue, rows.filter((c) => c.reclaimed).map((c) => c.id), { urgent, jobIdSuffix: suffix })
          }
          return claimed
        })
        if (ids.length > 0) log.info({ count: ids.length }, 'outbox relay enqueued notifications')
        if (ids.length < 500 || stopped) break
      }
    } catch (err) {
      log.warn({ err: { message: (err as Error).message } }, 'outbox relay could not run; will retry')
    }
  }
  const timer = setInterval(() => {
    if (running === null) running = tick().finally(() => { running = null })
  }, intervalMs)
  return {
    async stop () {
      stopped = true
      clearInterval(timer)
      if (running !== null) await running
    }
  }
}
