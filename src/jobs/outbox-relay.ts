import type { JobQueue } from './queue-backend.js'
import type { Logger } from 'pino'
import type { Database } from '../db/database.js'
import { claimForRelay } from '../notifications/notifications.repository.js'
import type { NotificationJob } from './queues.js'
import { addNotificationJobs, URGENT_KINDS } from './dispatch.js'
import { startRelayLoop } from './relay-loop.js'

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

const BATCH = 500

export function startOutboxRelay(
  db: Database,
  queue: JobQueue<NotificationJob>,
  log: Logger,
  intervalMs: number
): OutboxRelay {
  return startRelayLoop(db, log, {
    name: 'outbox relay',
    intervalMs,
    batch: BATCH,
    queuedMessage: 'outbox relay enqueued notifications',
    claim: async (trx, lost) => {
      const claimed = await claimForRelay(trx, intervalMs * 3, BATCH, lost)
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
      return claimed.length
    }
  })
}
