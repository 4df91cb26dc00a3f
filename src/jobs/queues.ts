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

/** The backoff type of notification jobs: the worker computes the delay from its own settings. */
export const NOTIFICATION_BACKOFF = 'notification'

export const notificationJobOptions = {
  attempts: 10,
  backoff: { type: NOTIFICATION_BACKOFF },
  removeOnComplete: { age: 3600, count: 10000 },
  removeOnFail: { age: 7 * 24 * 3600 }
}

export function createNotificationsQueue (connection: ConnectionOptions, prefix: string): Queue<NotificationJob> {
  return new Queue<NotificationJob>(NOTIFICATIONS_QUEUE, { connection, prefix, defaultJobOptions: notificationJobOptions })
}

/** Exponential backoff from the worker's setting: base, 2 x base, 4 x base... capped at an hour. */
export function notificationBackoff (baseMs: number): (attemptsMade: number) => number {
  return (attemptsMade) => Math.min(baseMs * 2 ** Math.max(0, attemptsMade - 1), 3_600_000)
}
