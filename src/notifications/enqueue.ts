import type { FastifyBaseLogger } from 'fastify'
import type { Queue } from 'bullmq'
import { addNotificationJobs, type NotificationJob } from '../jobs/queues.js'

/**
 * Hands committed outbox rows to the queue at once, for a quick send. If Redis is down this only
 * logs: the rows are safe in PostgreSQL and the worker's relay enqueues them when Redis is back.
 */
export async function enqueueNotifications (queue: Queue<NotificationJob>, ids: string[], log: FastifyBaseLogger): Promise<void> {
  if (ids.length === 0) return
  try {
    await addNotificationJobs(queue, ids)
  } catch (err) {
    log.warn({ err: { message: (err as Error).message }, notifications: ids.length }, 'could not enqueue notifications now; the outbox relay will')
  }
}
