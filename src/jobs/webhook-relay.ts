import pg from 'pg'
import type { Queue } from 'bullmq'
import type { Logger } from 'pino'
import type { Database } from '../db/database.js'
import { databaseNow } from '../notifications/notifications.repository.js'
import { claimDue, WEBHOOK_CHANNEL } from '../webhooks/webhooks.repository.js'
import type { WebhookJob } from './queues.js'
import { addWebhookJobs } from './dispatch.js'

export interface WebhookRelayOptions {
  databaseUrl: string
  /** How often due deliveries are looked for without a wake-up (retries fall due this way). */
  intervalMs: number
  /** A delivery queued this long ago and still due lost its job: it is queued again. */
  reclaimMs: number
}

const BATCH = 500

/**
 * Queues webhook deliveries as they fall due. A change that records an event wakes the relay when it
 * commits (LISTEN/NOTIFY: a rolled-back change wakes nobody, and its rows are gone); retries fall due
 * by time and are found by the poll. The claim and the enqueue commit together, so with Redis down
 * nothing is marked queued and the next run tries again. Several relays share the work (skip locked).
 */
export function startWebhookRelay(
  db: Database,
  queue: Queue<WebhookJob>,
  log: Logger,
  options: WebhookRelayOptions
): { stop: () => Promise<void>; requeueLost: () => void } {
  let running: Promise<void> | null = null
  let again = false
  let stopped = false
  // Set when the queue backend lost its jobs: every delivery queued before then (by the database's
  // clock, which stamps the claims) is queued again at once.
  let lostSeen = 0

  const tick = async (): Promise<void> => {
    const seen = lostSeen
    try {
      const lost = seen > 0 ? await databaseNow(db) : null
      for (;;) {
        again = false
        const claimed = await db.transaction().execute(async (trx) => {
          const due = await claimDue(trx, options.reclaimMs, BATCH, lost)
          await addWebhookJobs(queue, due)
          return due.length
        })
        if (stopped || (claimed < BATCH && !again)) break
      }
      if (lostSeen === seen) lostSeen = 0
    } catch (err) {
      log.warn({ err: { message: (err as Error).message } }, 'webhook relay could not run; will retry')
    }
  }
  const wake = (): void => {
    if (stopped) return
    if (running !== null) {
      again = true
      return
    }
    running = tick().finally(() => {
      running = null
    })
  }

  let listener: pg.Client | null = null
  let retry: NodeJS.Timeout | undefined
  const listen = (): void => {
    if (stopped) return
    const client = new pg.Client({ connectionString: options.databaseUrl, application_name: 'waymark webhook relay' })
    const reconnect = (): void => {
      if (listener !== client) return
      listener = null
      client.end().catch(() => {})
      if (!stopped) retry = setTimeout(listen, 1000)
    }
    listener = client
    client.on('notification', wake)
    client.on('error', reconnect)
    client.on('end', reconnect)
    client
      .connect()
      .then(async () => {
        await client.query(`listen ${WEBHOOK_CHANNEL}`)
      })
      // Whatever committed while nobody listened.
      .then(wake)
      .catch(reconnect)
  }
  listen()
  const timer = setInterval(wake, options.intervalMs)

  return {
    requeueLost() {
      lostSeen += 1
      wake()
    },
    async stop() {
      stopped = true
      clearInterval(timer)
      clearTimeout(retry)
      const client = listener
      listener = null
      if (client !== null) await client.end().catch(() => {})
      if (running !== null) await running
    }
  }
}
