import pino, { type Logger } from 'pino'
import { within } from './lib/within.js'
import type { Config } from './config/config.js'
import { createDatabase, ping, type DatabaseHandle } from './db/database.js'
import { createMailer, type Mailer } from './notifications/mailer.js'
import {
  createNotificationsQueue,
  createWebhooksQueue,
  notificationBackoff,
  NOTIFICATIONS_QUEUE,
  WEBHOOKS_QUEUE,
  type NotificationJob,
  type WebhookJob
} from './jobs/queues.js'
import { createQueueBackend } from './jobs/queue-backend.js'
import { notificationProcessor } from './jobs/notification-send.job.js'
import { startOutboxRelay } from './jobs/outbox-relay.js'
import { startWebhookRelay } from './jobs/webhook-relay.js'
import { webhookProcessor } from './jobs/webhook-delivery.job.js'
import { loggerOptions } from './logger.js'
import { startScheduledJobs } from './jobs/scheduled/scheduled-jobs.worker.js'

export interface WorkerHandle {
  log: Logger
  /** True when PostgreSQL and the queue backend both answer within a few seconds. */
  healthy: () => Promise<boolean>
  close: () => Promise<void>
}

/** How long a health check waits for each of PostgreSQL and the queue backend. */
const HEALTH_CHECK_MS = 3000

export interface WorkerOptions {
  logger?: Logger
  mailer?: Mailer
  database?: DatabaseHandle
}

/** Starts the BullMQ workers and the outbox relay. Closing waits for jobs in progress. */
export async function startWorker(config: Config, options: WorkerOptions = {}): Promise<WorkerHandle> {
  const log = options.logger ?? pino(loggerOptions(config.LOG_LEVEL))
  // The API's bound: a frozen PostgreSQL fails the job within it, and BullMQ retries the job. The lock
  // waits of the senders (15 s) raise it explicitly for those statements only (withLockWait).
  const database =
    options.database ??
    createDatabase(config.DATABASE_URL, 2 * config.WORKER_CONCURRENCY + 4, {
      statementTimeoutMs: config.DATABASE_QUERY_TIMEOUT_MS
    })
  const mailer = options.mailer ?? createMailer(config, log)
  const backend = createQueueBackend(config)
  const queue = createNotificationsQueue(backend)

  const worker = backend.worker<NotificationJob>(NOTIFICATIONS_QUEUE, notificationProcessor(database.db, mailer), {
    concurrency: config.WORKER_CONCURRENCY,
    // A worker that dies (SIGKILL, lost host) stops renewing its locks; another worker takes its jobs
    // over once a lock lapses. The outbox row lock, not the job, makes the takeover safe.
    lockDuration: config.WORKER_LOCK_MS,
    stalledInterval: config.WORKER_LOCK_MS,
    settings: { backoffStrategy: notificationBackoff(config.NOTIFICATION_BACKOFF_MS) },
    autorun: true
  })
  worker.on('failed', (job, err) => {
    log.warn(
      { queue: NOTIFICATIONS_QUEUE, job_id: job?.id, attempts: job?.attemptsMade, err: { message: err.message } },
      'notification job failed'
    )
  })
  worker.on('error', (err) => {
    log.warn({ err: { message: err.message } }, 'notification worker error')
  })

  // Webhook deliveries: one attempt a job, the row held through the request (a connection each). The
  // job lock is renewed while the request runs; a dead worker's job is taken over once it lapses.
  const webhooks = createWebhooksQueue(backend)
  const webhookWorker = backend.worker<WebhookJob>(
    WEBHOOKS_QUEUE,
    webhookProcessor({ db: database.db, config, notifications: queue, log }),
    {
      concurrency: config.WORKER_CONCURRENCY,
      lockDuration: config.WORKER_LOCK_MS,
      stalledInterval: config.WORKER_LOCK_MS,
      autorun: true
    }
  )
  webhookWorker.on('failed', (job, err) => {
    log.warn(
      { queue: WEBHOOKS_QUEUE, job_id: job?.id, attempts: job?.attemptsMade, err: { message: err.message } },
      'webhook job failed'
    )
  })
  webhookWorker.on('error', (err) => {
    log.warn({ err: { message: err.message } }, 'webhook worker error')
  })

  const relay = startOutboxRelay(database.db, queue, log, config.OUTBOX_POLL_MS)
  const webhookRelay = startWebhookRelay(database.db, webhooks, log, {
    databaseUrl: config.DATABASE_URL,
    intervalMs: config.OUTBOX_POLL_MS,
    reclaimMs: config.WEBHOOK_TIMEOUT_MS + config.WORKER_LOCK_MS + 60_000,
    // A LISTEN connection that stops answering (frozen, silently dropped) is noticed within a few seconds.
    listenCheckMs: Math.min(Math.max(config.OUTBOX_POLL_MS, 1000), 5000),
    listenTimeoutMs: config.DATABASE_QUERY_TIMEOUT_MS
  })
  const scheduled = await startScheduledJobs({ config, db: database.db, log, backend, notifications: queue })
  log.info({ mailer: mailer.name, concurrency: config.WORKER_CONCURRENCY, queues: backend.kind }, 'workers started')

  // A Redis restarted empty has lost every waiting job and the daily schedulers: on noticing, queue
  // the waiting messages again and set the schedulers, rather than wait for the relay's two minutes.
  let watching: Promise<void> | null = null
  const watch = setInterval(() => {
    watching ??= backend
      .lostData()
      .then(async (lost) => {
        if (!lost) return
        log.warn(
          { queues: backend.kind },
          'the queue backend lost its jobs (restarted empty): queuing waiting messages again and setting the daily schedulers'
        )
        relay.requeueLost()
        webhookRelay.requeueLost()
        await scheduled.reassert()
      })
      .catch(() => {})
      .finally(() => {
        watching = null
      })
  }, config.OUTBOX_POLL_MS)

  return {
    log,
    async healthy() {
      const checks = await Promise.allSettled([
        within(HEALTH_CHECK_MS, ping(database.db)),
        within(HEALTH_CHECK_MS, backend.ping())
      ])
      return checks.every((c) => c.status === 'fulfilled')
    },
    async close() {
      clearInterval(watch)
      if (watching !== null) await watching
      await scheduled.close()
      await relay.stop()
      await webhookRelay.stop()
      await worker.close()
      await webhookWorker.close()
      await queue.close().catch(() => {})
      await webhooks.close().catch(() => {})
      await backend.close()
      await mailer.close()
      if (options.database === undefined) await database.db.destroy()
    }
  }
}
