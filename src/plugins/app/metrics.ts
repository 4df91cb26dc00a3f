import { timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { AppError } from '../../errors/catalogue.js'
import { jobRunFigures, outboxFigures, webhookFigures } from '../../metrics/metrics.repository.js'

/** Queue states reported per queue: what waits (`waiting`, `prioritized`), runs, waits for later or for its children, or failed. */
const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'waiting-children'] as const

/** How long one source may take to answer a scrape; past it the source is reported as failing. */
const SOURCE_TIMEOUT_MS = 2000

async function within<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      p,
      new Promise<T>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), SOURCE_TIMEOUT_MS)
      })
    ])
  } finally {
    clearTimeout(timer)
  }
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * Prometheus metrics at GET /metrics, behind METRICS_TOKEN (unset: nothing is measured or served).
 * HTTP figures are counted as requests finish; the queues, the outbox, job runs and the pool are
 * read when scraped, each bounded in time, so a scrape never waits long on a service that is down.
 */
export default fp(
  async function metricsPlugin(app: FastifyInstance) {
    const token = app.config.METRICS_TOKEN
    if (token === undefined) return

    const register = new Registry()
    collectDefaultMetrics({ register, prefix: 'waymark_process_' })
    const labelNames = ['method', 'route', 'status_code'] as const
    const requests = new Counter({
      name: 'waymark_http_requests_total',
      help: 'HTTP requests answered, by route template and status',
      labelNames,
      registers: [register]
    })
    const latency = new Histogram({
      name: 'waymark_http_request_duration_seconds',
      help: 'Time from a request arriving to its answer, by route template and status',
      labelNames,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [register]
    })
    const queueJobs = new Gauge({
      name: 'waymark_queue_jobs',
      help: 'Jobs in each queue, by state',
      labelNames: ['queue', 'state'],
      registers: [register]
    })
    const queueDepth = new Gauge({
      name: 'waymark_queue_depth',
      help: 'Jobs waiting to be picked up (waiting and prioritized)',
      labelNames: ['queue'],
      registers: [register]
    })
    const backlog = new Gauge({
      name: 'waymark_outbox_backlog',
      help: 'Messages recorded and not yet sent (status pending)',
      registers: [register]
    })
    const oldest = new Gauge({
      name: 'waymark_outbox_oldest_age_seconds',
      help: 'Age of the oldest message not yet sent; 0 when there is none',
      registers: [register]
    })
    const failed = new Gauge({
      name: 'waymark_notifications_failed',
      help: 'Messages given up on, all time (POST /v1/notifications/{id}/retry sends one again)',
      registers: [register]
    })
    const notifications = new Gauge({
      name: 'waymark_notifications',
      help: 'Messages recorded in the last 24 hours, by status',
      labelNames: ['status'],
      registers: [register]
    })
    const runs = new Gauge({
      name: 'waymark_job_runs',
      help: 'Scheduled job runs created in the last 24 hours, by job and status',
      labelNames: ['name', 'status'],
      registers: [register]
    })
    const runSeconds = new Gauge({
      name: 'waymark_job_run_duration_seconds_sum',
      help: 'Seconds taken by the finished runs of the last 24 hours, by job and status',
      labelNames: ['name', 'status'],
      registers: [register]
    })
    const lastRun = new Gauge({
      name: 'waymark_job_run_last_duration_seconds',
      help: 'Seconds the latest finished run of each job took, with its status',
      labelNames: ['name', 'status'],
      registers: [register]
    })
    const lastFinished = new Gauge({
      name: 'waymark_job_run_last_finished_timestamp_seconds',
      help: 'When the latest finished run of each job finished (Unix seconds)',
      labelNames: ['name', 'status'],
      registers: [register]
    })
    const pool = new Gauge({
      name: 'waymark_db_pool_connections',
      help: "The API's PostgreSQL pool: open (total), idle, and requests waiting for a connection",
      labelNames: ['state'],
      registers: [register]
    })
    const poolMax = new Gauge({
      name: 'waymark_db_pool_max',
      help: "The most connections the API's pool opens (DATABASE_POOL_SIZE)",
      registers: [register]
    })
    const webhookDeliveries = new Gauge({
      name: 'waymark_webhook_deliveries',
      help: 'Webhook deliveries created in the last 24 hours, by status',
      labelNames: ['status'],
      registers: [register]
    })
    const webhookDue = new Gauge({
      name: 'waymark_webhook_due',
      help: 'Webhook deliveries waiting for an attempt (first or retry)',
      registers: [register]
    })
    const webhookOldestDue = new Gauge({
      name: 'waymark_webhook_oldest_due_seconds',
      help: 'How late the most overdue webhook attempt is; 0 when none is late',
      registers: [register]
    })
    const sourceUp = new Gauge({
      name: 'waymark_metrics_source_up',
      help: '1 when the source answered this scrape, 0 when it failed or timed out',
      labelNames: ['source'],
      registers: [register]
    })

    app.addHook('onResponse', (request, reply, done) => {
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode)
      }
      requests.inc(labels)
      latency.observe(labels, reply.elapsedTime / 1000)
      done()
    })

    async function collectQueues(): Promise<void> {
      await Promise.all(
        Object.entries(app.queues).map(async ([name, queue]) => {
          try {
            const counts = await within(queue.getJobCounts(...QUEUE_STATES))
            for (const state of QUEUE_STATES) queueJobs.set({ queue: name, state }, counts[state] ?? 0)
            queueDepth.set({ queue: name }, (counts.waiting ?? 0) + (counts.prioritized ?? 0))
            sourceUp.set({ source: `queue:${name}` }, 1)
          } catch {
            sourceUp.set({ source: `queue:${name}` }, 0)
          }
        })
      )
    }

    async function collectOutbox(): Promise<void> {
      try {
        const o = await within(outboxFigures(app.db))
        backlog.set(o.backlog)
        oldest.set(o.oldest_age_seconds)
        failed.set(o.failed)
        for (const [status, n] of Object.entries(o.recent)) notifications.set({ status }, n)
        sourceUp.set({ source: 'outbox' }, 1)
      } catch {
        sourceUp.set({ source: 'outbox' }, 0)
      }
    }

    async function collectWebhooks(): Promise<void> {
      try {
        const w = await within(webhookFigures(app.db))
        webhookDue.set(w.due)
        webhookOldestDue.set(w.oldest_due_seconds)
        for (const [status, n] of Object.entries(w.recent)) webhookDeliveries.set({ status }, n)
        sourceUp.set({ source: 'webhook_deliveries' }, 1)
      } catch {
        sourceUp.set({ source: 'webhook_deliveries' }, 0)
      }
    }

    async function collectJobRuns(): Promise<void> {
      try {
        const j = await within(jobRunFigures(app.db))
        runs.reset()
        runSeconds.reset()
        lastRun.reset()
        lastFinished.reset()
        for (const r of j.recent) {
          runs.set({ name: r.name, status: r.status }, r.runs)
          runSeconds.set({ name: r.name, status: r.status }, r.seconds)
        }
        for (const r of j.last) {
          lastRun.set({ name: r.name, status: r.status }, r.seconds)
          lastFinished.set({ name: r.name, status: r.status }, r.finished_at)
        }
        sourceUp.set({ source: 'job_runs' }, 1)
      } catch {
        sourceUp.set({ source: 'job_runs' }, 0)
      }
    }

    const authorised = (request: FastifyRequest): boolean => {
      const header = request.headers.authorization
      const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null
      return match !== null && sameToken(match[1], token)
    }

    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      if (!authorised(request)) {
        throw new AppError('unauthorized', 'The metrics token (METRICS_TOKEN) is required as a bearer token', {
          headers: { 'www-authenticate': 'Bearer realm="metrics"' }
        })
      }
      pool.set({ state: 'total' }, app.pgPool.totalCount)
      pool.set({ state: 'idle' }, app.pgPool.idleCount)
      pool.set({ state: 'waiting' }, app.pgPool.waitingCount)
      poolMax.set(app.config.DATABASE_POOL_SIZE)
      await Promise.all([collectQueues(), collectOutbox(), collectWebhooks(), collectJobRuns()])
      const text = await register.metrics()
      return await reply
        .header('cache-control', 'no-store')
        .type(register.contentType)
        .serializer((p: unknown) => p as string)
        .send(text)
    })
  },
  { name: 'metrics', dependencies: ['config', 'db', 'queues'] }
)
