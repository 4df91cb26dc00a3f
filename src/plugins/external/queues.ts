import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { createNotificationsQueue, createProducerConnection, type NotificationJob } from '../../jobs/queues.js'
import { createDispatch, type Dispatch } from '../../jobs/dispatch.js'

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis
    queues: { notifications: Queue<NotificationJob> }
    /** Hands committed outbox rows to the queues; call it after the transaction commits. */
    dispatch: Dispatch
  }
}

export default fp(async function queuesPlugin (app: FastifyInstance) {
  const redis = createProducerConnection(app.config.REDIS_URL)
  redis.connect().catch(() => { /* retried by ioredis; readiness reports it */ })
  const notifications = createNotificationsQueue(redis, app.config.QUEUE_PREFIX)
  notifications.on('error', () => {})
  app.decorate('redis', redis)
  app.decorate('queues', { notifications })
  app.decorate('dispatch', createDispatch({ notifications }))
  app.addHook('onClose', async () => {
    await notifications.close().catch(() => {})
    redis.disconnect()
  })
}, { name: 'queues', dependencies: ['config'] })
