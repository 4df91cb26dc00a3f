import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Queue } from 'bullmq'
import { createNotificationsQueue, type NotificationJob } from '../../jobs/queues.js'
import { createQueueBackend, type QueueBackend } from '../../jobs/queue-backend.js'
import { createDispatch, type Dispatch } from '../../jobs/dispatch.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Where the queues live (Redis or PostgreSQL); every queue is made through it. */
    queueBackend: QueueBackend
    queues: { notifications: Queue<NotificationJob> }
    /** Hands committed outbox rows to the queues; call it after the transaction commits. */
    dispatch: Dispatch
  }
}

export default fp(async function queuesPlugin (app: FastifyInstance) {
  const backend = createQueueBackend(app.config)
  const notifications = createNotificationsQueue(backend)
  app.decorate('queueBackend', backend)
  app.decorate('queues', { notifications })
  app.decorate('dispatch', createDispatch({ notifications }))
  app.addHook('onClose', async () => {
    await notifications.close().catch(() => {})
    await backend.close()
  })
}, { name: 'queues', dependencies: ['config'] })
