import type { JobQueue } from './queue-backend.js'
import type { Logger } from 'pino'
import type { Database } from '../db/database.js'
import { claimDue, WEBHOOK_CHANNEL } from '../webhooks/webhooks.repository.js'
import type { WebhookJob } from './queues.js'
import { addWebhookJobs } from './dispatch.js'
import { startRelayLoop } from './relay-loop.js'

export interface WebhookRelayOptions {
  databaseUrl: string
  /** How often due deliveries are looked for without a wake-up (retries fall due this way). */
  intervalMs: number
  /** A delivery queued this long ago and still due lost its job: it is queued again. */
  reclaimMs: number
  /** How often the LISTEN connection is checked (default 5 s). */
  listenCheckMs?: number
  /** How long connecting the LISTEN connection, and each check of it, may take (default 7 s). */
  listenTimeoutMs?: number
}

const BATCH = 500

/**
 * Queues webhook deliveries as they fall due. A change that records an event wakes the relay when it
 * commits (LISTEN/NOTIFY: a rolled-back change wakes nobody, and its rows are gone); retries fall due
 * by time and are found by the poll, which also keeps deliveries going while the LISTEN connection is
 * being made again. The claim and the enqueue commit together, so with Redis down nothing is marked
 * queued and the next run tries again. Several relays share the work (skip locked).
 */
export function startWebhookRelay(
  db: Database,
  queue: JobQueue<WebhookJob>,
  log: Logger,
  options: WebhookRelayOptions
): { stop: () => Promise<void>; requeueLost: () => void } {
  return startRelayLoop(db, log, {
    name: 'webhook relay',
    intervalMs: options.intervalMs,
    batch: BATCH,
    listen: {
      databaseUrl: options.databaseUrl,
      channel: WEBHOOK_CHANNEL,
      checkMs: options.listenCheckMs ?? 5000,
      timeoutMs: options.listenTimeoutMs ?? 7000
    },
    claim: async (trx, lost) => {
      const due = await claimDue(trx, options.reclaimMs, BATCH, lost)
      await addWebhookJobs(queue, due)
      return due.length
    }
  })
}
