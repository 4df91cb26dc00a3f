import pg from 'pg'
import type { Transaction } from 'kysely'
import type { Logger } from 'pino'
import type { Database } from '../db/database.js'
import type { DB } from '../db/types.js'
import { databaseNow } from '../notifications/notifications.repository.js'

/** A LISTEN connection that wakes the relay when a change commits (NOTIFY), besides the poll. */
export interface RelayListen {
  databaseUrl: string
  channel: string
  /** How often the connection is checked with a cheap query (a frozen or silently dropped one answers nothing). */
  checkMs: number
  /** How long connecting, and each check, may take before the connection is taken for dead. */
  timeoutMs: number
}

export interface RelayLoopOptions {
  /** Names the relay in its logs ("outbox relay"). */
  name: string
  /** How often due rows are looked for without a wake-up. */
  intervalMs: number
  /** Rows claimed per transaction: a claim of a full batch is followed by another at once. */
  batch: number
  /**
   * Claims up to `batch` due rows and queues them, inside the claiming transaction (if the queue is
   * unreachable, the claim rolls back with it), and says how many. `lostBefore` is set after the queue
   * backend lost its jobs: every row queued before it (the database's clock) is claimed again.
   */
  claim: (trx: Transaction<DB>, lostBefore: string | null) => Promise<number>
  /** Logged at info, with the count, after a transaction that queued something. */
  queuedMessage?: string
  listen?: RelayListen
}

export interface RelayLoop {
  /** Looks for due rows now (or once more right after the run in progress). */
  wake: () => void
  /** The queue backend lost its jobs: queue every row it held again now. */
  requeueLost: () => void
  stop: () => Promise<void>
}

/** The first wait before connecting again after the LISTEN connection is lost; doubled each failure, up to the cap. */
const LISTEN_RETRY_MS = 1000
const LISTEN_RETRY_MAX_MS = 30_000

/**
 * The loop the outbox relays share: claim due rows in a transaction and queue them before it commits,
 * batch after batch; on a timer, on a wake-up, and at once for every row queued before the queue
 * backend lost its jobs. Several relays share the work when the claim skips locked rows.
 */
export function startRelayLoop(db: Database, log: Logger, o: RelayLoopOptions): RelayLoop {
  let running: Promise<void> | null = null
  let again = false
  let stopped = false
  // Set when the queue backend lost its jobs: every row queued before then (by the database's clock,
  // which stamps the claims) is queued again.
  let lostSeen = 0

  const tick = async (): Promise<void> => {
    const seen = lostSeen
    try {
      const lost = seen > 0 ? await databaseNow(db) : null
      for (;;) {
        again = false
        const queued = await db.transaction().execute(async (trx) => await o.claim(trx, lost))
        if (queued > 0 && o.queuedMessage !== undefined) log.info({ count: queued }, o.queuedMessage)
        if (stopped || (queued < o.batch && !again)) break
      }
      // Every row queued before the loss is queued again (rows claimed now are stamped later).
      if (lostSeen === seen) lostSeen = 0
    } catch (err) {
      log.warn({ err: { message: (err as Error).message } }, `${o.name} could not run; will retry`)
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

  const listener = o.listen === undefined ? null : listenFor(o.listen, o.name, log, wake)
  const timer = setInterval(wake, o.intervalMs)

  return {
    wake,
    requeueLost() {
      lostSeen += 1
      wake()
    },
    async stop() {
      stopped = true
      clearInterval(timer)
      await listener?.stop()
      if (running !== null) await running
    }
  }
}

/**
 * Keeps a LISTEN connection: TCP keepalive, a bounded connect, and a cheap query every `checkMs` that
 * must answer within `timeoutMs`; a connection that fails any of them is dropped and made again with
 * backoff, waking the relay once listening again (whatever committed meanwhile). The poll goes on throughout.
 */
function listenFor(listen: RelayListen, name: string, log: Logger, wake: () => void): { stop: () => Promise<void> } {
  let current: pg.Client | null = null
  let retry: NodeJS.Timeout | undefined
  let check: NodeJS.Timeout | undefined
  let failures = 0
  let stopped = false

  const connect = (): void => {
    if (stopped) return
    const client = new pg.Client({
      connectionString: listen.databaseUrl,
      application_name: `waymark ${name}`,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      connectionTimeoutMillis: listen.timeoutMs,
      query_timeout: listen.timeoutMs
    })
    const drop = (why: string): void => {
      if (current !== client) return
      current = null
      clearInterval(check)
      close(client)
      if (stopped) return
      const delay = Math.min(LISTEN_RETRY_MS * 2 ** failures, LISTEN_RETRY_MAX_MS)
      failures += 1
      log.warn({ why, retry_ms: delay }, `${name} lost its LISTEN connection; polling meanwhile and connecting again`)
      retry = setTimeout(connect, delay)
    }
    current = client
    client.on('notification', wake)
    client.on('error', (err) => {
      drop(err.message)
    })
    client.on('end', () => {
      drop('the connection ended')
    })
    client
      .connect()
      .then(async () => {
        await client.query(`listen ${listen.channel}`)
      })
      .then(() => {
        if (current !== client) return
        if (failures > 0) log.info(`${name} listening again`)
        failures = 0
        let checking = false
        check = setInterval(() => {
          if (checking) return
          checking = true
          client
            .query('select 1')
            .catch((err: Error) => {
              drop(err.message)
            })
            .finally(() => {
              checking = false
            })
        }, listen.checkMs)
        // Whatever committed while nobody listened.
        wake()
      })
      .catch((err: Error) => {
        drop(err.message)
      })
  }
  connect()

  return {
    async stop() {
      stopped = true
      clearTimeout(retry)
      clearInterval(check)
      const client = current
      current = null
      if (client === null) return
      // A sound server answers the goodbye at once; a frozen one is not waited for past the bound.
      let bound: NodeJS.Timeout | undefined
      await Promise.race([
        client.end().catch(() => {}),
        new Promise((resolve) => {
          bound = setTimeout(resolve, listen.timeoutMs)
        })
      ])
      clearTimeout(bound)
      destroy(client)
    }
  }
}

/** Ends a client without waiting on its server: a frozen one would never answer the goodbye. */
function close(client: pg.Client): void {
  client.end().catch(() => {})
  destroy(client)
}

function destroy(client: pg.Client): void {
  client.connection?.stream?.destroy()
}
