import type { Queue } from 'bullmq'
import type { Logger } from 'pino'
import type { Database } from '../db/database.js'
import { claimForRelay, databaseNow } from '../notifications/notifications.repository.js'
import type { NotificationJob } from './queues.js'
import { addNotificationJobs, URGENT_KINDS } from './dispatch.js'

/**
 * Moves outbox rows the API could not enqueue (Redis down, a crash between commit and enqueue) onto
 * the queue, and rows whose job was lost or failed without recording it (claimed again after two
 * minutes, or at once when the backend says it lost its jobs). The sender's row lock makes a second
 * job for the same row harmless.
 */
export interface OutboxRelay {
  /** The queue backend lost its jobs: queue every message it held again now, not two minutes on. */
  requeueLost: () => void
  stop: () => Promise<void>
}

export function startOutboxRelay(
  db: Database,
  queue: Queue<NotificationJob>,
  log: Logger,
  intervalMs: number
): OutboxRelay {
  let running: Promise<void> | null = null
  let stopped = false
  // Set when the backend lost its jobs: every row queued before then (by the database's clock, which
  // stamps the claims) is queued again.
  let lostSeen = 0
  const tick = async (): Promise<void> => {
    const seen = lostSeen
    try {
      const lost = seen > 0 ? await databaseNow(db) : null
      for (;;) {
        const ids = await db.transaction().execute(async (trx) => {
          const claimed = await claimForRelay(trx, intervalMs * 3, 500, lost)
          // Enqueue before the claim commits: if Redis is down, the claim rolls back too. A first claim
          // uses the notification id as job id, so a job the API already queued (perhaps waiting out a
          // retry backoff) is not doubled; a reclaim needs a fresh id, since BullMQ keeps old ones.
          // Safeguarding alerts keep their priority when the relay queues them.
          const suffix = `:relay:${Date.now()}`
          for (const urgent of [true, false]) {
            const rows = claimed.filter((c) => URGENT_KINDS.has(c.kind) === urgent)
            await addNotificationJobs(
              queue,
              rows.filter((c) => !c.reclaimed).map((c) => c.id),
              { urgent }
            )
            await addNotificationJobs(
              queue,
              rows.filter((c) => c.reclaimed).map((c) => c.id),
              { urgent, jobIdSuffix: suffix }
            )
          }
          return claimed
        })
        if (ids.length > 0) log.info({ count: ids.length }, 'outbox relay enqueued notifications')
        if (ids.length < 500 || stopped) break
      }
      // Every row queued before the loss is queued again (rows claimed now are stamped later).
      if (lostSeen === seen) lostSeen = 0
    } catch (err) {
      log.warn({ err: { message: (err as Error).message } }, 'outbox relay could not run; will retry')
    }
  }
  const run = (): void => {
    if (running === null)
      running = tick().finally(() => {
        running = null
      })
  }
  const timer = setInterval(run, intervalMs)
  return {
    requeueLost() {
      lostSeen += 1
      if (running === null) run()
    },
    async stop() {
      stopped = true
      clearInterval(timer)
      if (running !== null) await running
    }
  }
}
