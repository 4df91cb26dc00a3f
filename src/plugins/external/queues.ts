import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import {
  createNotificationsQueue,
  createWebhooksQueue,
  type NotificationJob,
  type WebhookJob
} from '../../jobs/queues.js'
import { createQueueBackend, type JobQueue, type QueueBackend } from '../../jobs/queue-backend.js'
import { createDispatch, type Dispatch } from '../../jobs/dispatch.js'
import { createScheduledJobsQueue, type ScheduledJobData } from '../../jobs/scheduled/scheduled-queue.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Where the queues live (Redis or PostgreSQL); every queue is made through it. */
    queueBackend: QueueBackend
    /** Every queue the API adds jobs to, by name (metrics and the dashboard show each). */
    queues: {
      notifications: JobQueue<NotificationJob>
      webhooks: JobQueue<WebhookJob>
      'scheduled-jobs': JobQueue<ScheduledJobData>
    }
    /** Hands committed outbox rows to the queues; call it after the transaction commits. */
    dispatch: Dispatch
  }
}

export default fp(
  async function queuesPlugin(app: FastifyInstance) {
    const backend = createQueueBackend(app.config)
    const notifications = createNotificationsQueue(backend)
    const scheduled = createScheduledJobsQueue(backend)
    // Filled by the worker; the API holds it for metrics and the dashboard.
    const webhooks = createWebhooksQueue(backend)
    app.decorate('queueBackend', backend)
    app.decorate('queues', { notifications, webhooks, 'scheduled-jobs': scheduled })
    app.decorate('dispatch', createDispatch({ notifications }))
    app.addHook('onClose', async () => {
      await notifications.close().catch(() => {})
      await scheduled.close().catch(() => {})
      await webhooks.close().catch(() => {})
      await backend.close()
    })
  },
  { name: 'queues', dependencies: ['config'] }
)
