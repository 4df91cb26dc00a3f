import type { JobQueue } from './queue-backend.js'
import type { Job } from 'bullmq'
import type { Logger } from 'pino'
import type { Database } from '../db/database.js'
import type { Transaction } from 'kysely'
import type { DB, WebhookEndpointRow } from '../db/types.js'
import type { Config } from '../config/config.js'
import type { NotificationJob, WebhookJob } from './queues.js'
import { addNotificationJobs } from './dispatch.js'
import {
  lockDelivery,
  dropDelivery,
  recordAttempt,
  trackFailures,
  updateEndpoint,
  type AttemptRecord
} from '../webhooks/webhooks.repository.js'
import { signatureHeader } from '../webhooks/signing.js'
import { postWebhook } from '../webhooks/sender.js'
import { destinationPolicy, disabledAlerts, signingSecrets } from '../webhooks/webhooks.service.js'
import { urlProblem } from '../webhooks/destination.js'
import { insertNotifications } from '../notifications/notifications.repository.js'

/** An endpoint that has failed every delivery for this long is disabled. */
export const FAILING_DISABLE_MS = 5 * 86_400_000

/** How long a job waits for a delivery another worker holds before trying again later. */
const LOCK_WAIT_MS = 15_000

/** A retry delay from the schedule, with up to 10% jitter either way so that retries do not arrive in step. */
export function retryDelayMs(
  scheduleSeconds: number[],
  attempt: number,
  random: () => number = Math.random
): number | null {
  const base = scheduleSeconds[attempt - 1]
  if (base === undefined) return null
  return Math.round(base * 1000 * (0.9 + 0.2 * random()))
}

export interface WebhookDeliveryDeps {
  db: Database
  config: Pick<Config, 'WEBHOOK_RETRY_SCHEDULE' | 'WEBHOOK_TIMEOUT_MS' | 'WEBHOOK_ALLOW_PRIVATE' | 'NODE_ENV'>
  notifications: JobQueue<NotificationJob>
  log: Logger
}

type Result = 'succeeded' | 'failed' | 'exhausted' | 'skipped'

/**
 * Makes one attempt of one delivery. The delivery row stays locked through the request and the
 * outcome is recorded in the same transaction, so a second job for the same attempt waits, finds it
 * made and does nothing. A worker killed mid-request loses its connection: PostgreSQL rolls back,
 * the attempt is still due, and the job (stalled) or the relay makes it again, with the same
 * `webhook-id`. Each attempt is signed afresh, with its own `webhook-timestamp`.
 */
export function webhookProcessor(deps: WebhookDeliveryDeps) {
  const policy = destinationPolicy(deps.config)
  return async function process(job: Job<WebhookJob>): Promise<Result> {
    const { delivery_id: id, attempt } = job.data
    const outcome = await deps.db.transaction().execute(async (trx): Promise<{ result: Result; alerts: string[] }> => {
      const locked = await lockDelivery(trx, id, LOCK_WAIT_MS)
      // Gone with its endpoint (deleted): nothing more is sent, even for events already queued.
      if (locked === undefined) return { result: 'skipped', alerts: [] }
      const { delivery, endpoint, event } = locked
      if (delivery.attempt + 1 !== attempt || delivery.next_attempt_at === null)
        return { result: 'skipped', alerts: [] }
      if (!endpoint.enabled && event.type !== 'webhook.ping') {
        await dropDelivery(trx, id, 'the endpoint is disabled')
        return { result: 'skipped', alerts: [] }
      }
      const now = new Date()
      const timestamp = Math.floor(now.getTime() / 1000)
      const refused = urlProblem(endpoint.url, policy)
      const sent =
        refused !== null
          ? { status: null, durationMs: 0, error: `the URL ${refused}` }
          : await postWebhook(
              endpoint.url,
              {
                'webhook-id': event.id,
                'webhook-timestamp': String(timestamp),
                'webhook-signature': signatureHeader(signingSecrets(endpoint, now), event.id, timestamp, event.body)
              },
              event.body,
              { timeoutMs: deps.config.WEBHOOK_TIMEOUT_MS, allowPrivate: policy.allowPrivate }
            )
      const succeeded = sent.error === null
      const gone = sent.status === 410
      const delay = succeeded || gone ? null : retryDelayMs(deps.config.WEBHOOK_RETRY_SCHEDULE, attempt)
      const record: AttemptRecord = {
        status: succeeded ? 'succeeded' : gone || delay !== null ? 'failed' : 'exhausted',
        response_status: sent.status,
        duration_ms: sent.durationMs,
        last_error: sent.error === null ? null : sent.error.slice(0, 500),
        next_attempt_at: delay === null ? null : new Date(Date.now() + delay)
      }
      await recordAttempt(trx, id, record)
      const alerts = await judgeEndpoint(trx, endpoint, succeeded, gone, now)
      return { result: record.status, alerts }
    })
    if (outcome.alerts.length > 0) {
      await addNotificationJobs(deps.notifications, outcome.alerts).catch((err: Error) => {
        deps.log.warn({ err: { message: err.message } }, 'could not enqueue webhook alerts now; the outbox relay will')
      })
    }
    return outcome.result
  }
}

/**
 * The endpoint after an attempt: a 410 disables it at once; a success ends its run of failures; a
 * failure starts one, and one that has lasted five days disables it. Disabling tells the
 * organisation's admins (outbox rows, returned for queueing).
 */
async function judgeEndpoint(
  trx: Transaction<DB>,
  endpoint: WebhookEndpointRow,
  succeeded: boolean,
  gone: boolean,
  now: Date
): Promise<string[]> {
  if (succeeded) {
    if (endpoint.failing_since !== null) await trackFailures(trx, endpoint.id, true)
    return []
  }
  const failingSince = endpoint.failing_since ?? (await trackFailures(trx, endpoint.id, false)).failing_since
  if (!endpoint.enabled) return []
  const failing = failingSince !== null && now.getTime() - failingSince.getTime() >= FAILING_DISABLE_MS
  if (!gone && !failing) return []
  const reason = gone ? 'gone' : 'failing'
  await updateEndpoint(trx, endpoint.id, { enabled: false, disabled_reason: reason })
  return await insertNotifications(trx, await disabledAlerts(trx, endpoint, reason, failingSince))
}
