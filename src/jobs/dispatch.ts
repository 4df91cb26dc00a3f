import type { JobQueue } from './queue-backend.js'
import { Redis } from 'ioredis'
import type { NotificationJob, WebhookJob } from './queues.js'

/** A logger as the API's requests and the workers both have one. */
interface Log {
  warn: (obj: object, msg: string) => void
}

/** How long an enqueue may wait on Redis before giving up: a request never waits longer on it. */
export const DISPATCH_TIMEOUT_MS = 2000

/** Outbox kinds that jump the queue (BullMQ priority 1 is served before every ordinary message). */
export const URGENT_KINDS: ReadonlySet<string> = new Set(['safeguarding_concern'])

export interface DispatchOptions {
  /** Served before every ordinary message. */
  urgent?: boolean
  /** Appended to the job id: BullMQ keeps a failed or stalled job's id for days and ignores a re-add under it. */
  jobIdSuffix?: string
  timeoutMs?: number
}

/**
 * Adds one send job per outbox row (job id = notification id) only when Redis answers now. BullMQ
 * waits for a connection that is not ready, so without the timeout a request would hang for as long
 * as Redis is down. Throws when the jobs could not be added; the rows stay in the outbox.
 * A second job for one row is harmless: the sender locks the row and skips it once sent.
 */
export async function addNotificationJobs(
  queue: JobQueue<NotificationJob>,
  ids: string[],
  options: DispatchOptions = {}
): Promise<void> {
  const opts = (id: string): { jobId: string; priority?: number } => ({
    jobId: `${id}${options.jobIdSuffix ?? ''}`,
    ...(options.urgent === true ? { priority: 1 } : {})
  })
  await addJobs(
    queue,
    ids.map((id) => ({ name: 'send', data: { notification_id: id }, opts: opts(id) })),
    options.timeoutMs
  )
}

/**
 * Adds one delivery job per due webhook attempt (job id = delivery and attempt, so a second claim of
 * the same attempt is not doubled; a reclaim, whose first job was lost, gets a fresh id). Throws when
 * the jobs could not be added; the deliveries stay due in PostgreSQL.
 */
export async function addWebhookJobs(
  queue: JobQueue<WebhookJob>,
  due: Array<{ id: string; attempt: number; reclaimed: boolean }>,
  timeoutMs?: number
): Promise<void> {
  const suffix = `-relay-${Date.now()}`
  await addJobs(
    queue,
    due.map((d) => ({
      name: 'deliver',
      data: { delivery_id: d.id, attempt: d.attempt },
      opts: { jobId: `${d.id}-${d.attempt}${d.reclaimed ? suffix : ''}` }
    })),
    timeoutMs
  )
}

/** Adds jobs only when the queue backend answers now (see addNotificationJobs). */
async function addJobs<D>(
  queue: JobQueue<D>,
  jobs: Parameters<JobQueue<D>['addBulk']>[0],
  timeoutMs = DISPATCH_TIMEOUT_MS
): Promise<void> {
  if (jobs.length === 0) return
  const connection = queue.opts.connection
  // Connecting for the first time is worth a short wait; reconnecting means Redis is down.
  if (connection instanceof Redis && ['reconnecting', 'close', 'end'].includes(connection.status)) {
    throw new Error(`Redis is not reachable (${connection.status})`)
  }
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`the queue backend did not answer within ${timeoutMs} ms`))
    }, timeoutMs)
  })
  try {
    await Promise.race([queue.addBulk(jobs), timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Hands committed outbox rows to the queues. Never throws: what it cannot hand over waits in the outbox. */
export interface Dispatch {
  notifications: (ids: string[], log: Log, options?: Pick<DispatchOptions, 'urgent' | 'jobIdSuffix'>) => Promise<void>
}

/**
 * The one way domain code queues background work: call it after the transaction that wrote the
 * outbox rows has committed. If Redis is down this only logs: the rows are safe in PostgreSQL and
 * the worker's outbox relay queues them when Redis is back.
 */
export function createDispatch(queues: { notifications: JobQueue<NotificationJob> }): Dispatch {
  return {
    async notifications(ids, log, options = {}) {
      if (ids.length === 0) return
      try {
        await addNotificationJobs(queues.notifications, ids, {
          urgent: options.urgent,
          jobIdSuffix: options.jobIdSuffix
        })
      } catch (err) {
        log.warn(
          { err: { message: (err as Error).message }, notifications: ids.length, urgent: options.urgent === true },
          'could not enqueue notifications now; the outbox relay will'
        )
      }
    }
  }
}
