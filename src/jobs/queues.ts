import type { Queue } from 'bullmq'
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
