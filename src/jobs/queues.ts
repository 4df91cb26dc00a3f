import type { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import type { QueueBackend } from './queue-backend.js'

export const NOTIFICATIONS_QUEUE = 'notifications'

export interface NotificationJob { notification_id: string }

/** The backoff type of notification jobs: the worker computes the delay from its own settings. */
export const NOTIFICATION_BACKOFF = 'notification'

export const notificationJobOptions = {
  attempts: 10,
  backoff: { type: NOTIFICATION_BACKOFF },
  removeOnComplete: { age: 3600, count: 10000 },
  removeOnFail: { age: 7 * 24 * 3600 }
}

export function createNotificationsQueue (backend: QueueBackend): Queue<NotificationJob> {
  return backend.queue<NotificationJob>(NOTIFICATIONS_QUEUE, notificationJobOptions)
}

/** Exponential backoff from the worker's setting: base, 2 x base, 4 x base... capped at an hour. */
export function notificationBackoff (baseMs: number): (attemptsMade: number) => number {
  return (attemptsMade) => Math.min(baseMs * 2 ** Math.max(0, attemptsMade - 1), 3_600_000)
}

/**
 * Adds one job per notification (job id = notification id) only when Redis answers now. BullMQ waits
 * for a connection that is not ready, so without this a request would hang for as long as Redis is
 * down; the outbox keeps the rows, and the relay enqueues them once Redis is back.
 */
/**
 * Queues send jobs for outbox rows. The API uses the notification id as the job id; the relay adds a
 * suffix, because BullMQ keeps a failed or stalled job's id for days and would ignore a re-add under it.
 * A second job for one row is harmless: the sender locks the row and skips it once sent.
 */
export async function addNotificationJobs (queue: Queue<NotificationJob>, ids: string[], timeoutMs = 2000, jobIdSuffix = ''): Promise<void> {
  if (ids.length === 0) return
  const connection = queue.opts.connection
  // Connecting for the first time is worth a short wait; reconnecting means Redis is down.
  if (connection instanceof Redis && ['reconnecting', 'close', 'end'].includes(connection.status)) {
    throw new Error(`Redis is not reachable (${connection.status})`)
  }
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    await Promise.race([
      queue.addBulk(ids.map((id) => ({ name: 'send', data: { notification_id: id }, opts: { jobId: `${id}${jobIdSuffix}` } }))),
      timeout
    ])
  } finally {
    clearTimeout(timer)
  }
}
