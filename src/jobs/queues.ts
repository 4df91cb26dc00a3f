import { Queue, type ConnectionOptions } from 'bullmq'
import { Redis, type RedisOptions } from 'ioredis'

export const NOTIFICATIONS_QUEUE = 'notifications'

export interface NotificationJob { notification_id: string }

/** Producer connection: fails fast when Redis is down, so a request never waits on it. */
export function createProducerConnection (url: string): Redis {
  const options: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    lazyConnect: true,
    retryStrategy: (times) => Math.min(times * 200, 2000)
  }
  const redis = new Redis(url, options)
  redis.on('error', () => {})
  return redis
}

/** Worker connection: BullMQ requires blocking commands to wait for Redis indefinitely. */
export function createWorkerConnection (url: string): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(times * 200, 2000)
  })
  redis.on('error', () => {})
  return redis
}

export const notificationJobOptions = {
  attempts: 10,
  backoff: { type: 'exponential' as const, delay: 1000 },
  removeOnComplete: { age: 3600, count: 10000 },
  removeOnFail: { age: 7 * 24 * 3600 }
}

export function createNotificationsQueue (connection: ConnectionOptions, prefix: string): Queue<NotificationJob> {
  return new Queue<NotificationJob>(NOTIFICATIONS_QUEUE, { connection, prefix, defaultJobOptions: notificationJobOptions })
}
