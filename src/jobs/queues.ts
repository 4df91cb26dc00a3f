import type { JobQueue, QueueBackend } from './queue-backend.js'

export const NOTIFICATIONS_QUEUE = 'notifications'

export interface NotificationJob {
  notification_id: string
}

/** The backoff type of notification jobs: the worker computes the delay from its own settings. */
export const NOTIFICATION_BACKOFF = 'notification'

export const notificationJobOptions = {
  attempts: 10,
  backoff: { type: NOTIFICATION_BACKOFF },
  removeOnComplete: { age: 3600, count: 10000 },
  removeOnFail: { age: 7 * 24 * 3600 }
}

export function createNotificationsQueue(backend: QueueBackend): JobQueue<NotificationJob> {
  return backend.queue<NotificationJob>(NOTIFICATIONS_QUEUE, notificationJobOptions)
}

/** Exponential backoff from the worker's setting: base, 2 x base, 4 x base... capped at an hour. */
export function notificationBackoff(baseMs: number): (attemptsMade: number) => number {
  return (attemptsMade) => Math.min(baseMs * 2 ** Math.max(0, attemptsMade - 1), 3_600_000)
}

export const WEBHOOKS_QUEUE = 'webhooks'

/** One attempt of one delivery: `attempt` is the number it will be, so a stale or second job does nothing. */
export interface WebhookJob {
  delivery_id: string
  attempt: number
}

/**
 * The retry schedule of webhook deliveries lives in PostgreSQL (next_attempt_at), not in the job: a
 * job is one attempt. Job retries cover only a fault of this side (the database unreachable).
 */
export const webhookJobOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { age: 3600, count: 10000 },
  removeOnFail: { age: 24 * 3600 }
}

export function createWebhooksQueue(backend: QueueBackend): JobQueue<WebhookJob> {
  return backend.queue<WebhookJob>(WEBHOOKS_QUEUE, webhookJobOptions)
}
