import type { Job } from 'bullmq'
import type { Logger } from 'pino'
import type { Config } from '../../config/config.js'
import type { Database } from '../../db/database.js'
import { todayIn } from '../../lib/dates.js'
import type { NotificationJob } from '../queues.js'
import type { JobQueue, QueueBackend } from '../queue-backend.js'
import { createDispatch } from '../dispatch.js'
import { claimRun, failRun, finishRun, insertRun } from './job-runs.repository.js'
import { scheduledJobs, schedulerOf } from './registry.js'
import { createScheduledJobsQueue, SCHEDULED_JOBS_QUEUE, type ScheduledJobData } from './scheduled-queue.js'

export interface ScheduledJobsOptions {
  config: Config
  db: Database
  log: Logger
  backend: QueueBackend
  notifications: JobQueue<NotificationJob>
}

/**
 * Runs scheduled jobs: the job schedulers (one per registered name, daily at SCHEDULE_TIME or every
 * 15 minutes, in SCHEDULE_TZ, across every organisation) and runs requested through the API (one organisation).
 * Each run is a job_runs row; a retried BullMQ job resumes the same run.
 */
export interface ScheduledJobsHandle {
  /** Sets again the daily schedulers the queue backend no longer has. */
  reassert: () => Promise<void>
  close: () => Promise<void>
}

export async function startScheduledJobs(o: ScheduledJobsOptions): Promise<ScheduledJobsHandle> {
  const { config, db, log } = o
  const queue = createScheduledJobsQueue(o.backend)

  const outbound = createDispatch({ notifications: o.notifications })
  const dispatch = async (ids: string[]): Promise<void> => {
    await outbound.notifications(ids, log)
  }

  async function process(job: Job<ScheduledJobData>): Promise<Record<string, number> | 'skipped'> {
    const handler = scheduledJobs[job.data.name]
    if (handler === undefined) throw new Error(`unknown scheduled job ${job.data.name}`)
    let runId = job.data.run_id
    if (runId === undefined) {
      // A scheduler's job: one run over every organisation, for the local day and the instant it fires on.
      const now = new Date()
      const run = await insertRun(
        db,
        {
          name: job.data.name,
          organisation_id: null,
          as_of: todayIn(config.SCHEDULE_TZ, now),
          trigger: 'schedule',
          requested_by: null
        },
        { instant: now, timeZone: config.SCHEDULE_TZ }
      )
      runId = run.id
      await job.updateData({ ...job.data, run_id: runId })
    }
    const run = await claimRun(db, runId)
    if (run === undefined) return 'skipped'
    const started = Date.now()
    try {
      const asOfInstant = run.as_of_instant ?? run.created_at
      const counts = await handler({
        db,
        org: run.organisation_id,
        asOf: run.as_of,
        asOfInstant,
        timeZone: config.SCHEDULE_TZ,
        runId,
        log: log.child({ job: run.name, run_id: runId }),
        dispatch
      })
      await finishRun(db, runId, counts)
      log.info(
        { job: run.name, run_id: runId, as_of: run.as_of, ms: Date.now() - started, counts },
        'scheduled job finished'
      )
      return counts
    } catch (err) {
      const e = err as Error & { code?: string }
      // Only the kind of failure is kept: a driver message can quote the values of a row.
      await failRun(
        db,
        runId,
        `${e.name}${e.code !== undefined ? ` ${e.code}` : ''}: the run failed and will be retried if attempts remain`
      ).catch(() => {})
      log.warn({ job: run.name, run_id: runId, err: { name: e.name, code: e.code } }, 'scheduled job failed')
      throw err
    }
  }

  const worker = o.backend.worker<ScheduledJobData, Record<string, number> | 'skipped'>(SCHEDULED_JOBS_QUEUE, process, {
    concurrency: 2
  })
  worker.on('error', (err) => {
    log.warn({ err: { message: err.message } }, 'scheduled jobs worker error')
  })

  let timer: NodeJS.Timeout | null = null
  let closed = false
  const names = Object.keys(scheduledJobs)
  const upsert = async (name: string): Promise<void> => {
    const { key, pattern } = schedulerOf(name, config.SCHEDULE_TIME)
    await queue.upsertJobScheduler(key, { pattern, tz: config.SCHEDULE_TZ }, { name, data: { name } })
  }
  const schedule = async (): Promise<void> => {
    try {
      for (const name of names) await upsert(name)
      log.info({ jobs: names, at: config.SCHEDULE_TIME, tz: config.SCHEDULE_TZ }, 'job schedulers set')
    } catch (err) {
      // Redis unreachable at start-up: try again shortly rather than fail the worker.
      log.warn({ err: { message: (err as Error).message } }, 'could not set the job schedulers; retrying')
      if (!closed)
        timer = setTimeout(() => {
          void schedule()
        }, 5000)
    }
  }
  await schedule()

  // Sets again any scheduler that is missing (a Redis restarted or flushed loses them); one that is
  // there is left alone, its next run untouched.
  let checking: Promise<void> | null = null
  const reassert = async (): Promise<void> => {
    if (checking !== null) return await checking
    checking = (async () => {
      try {
        const missing: string[] = []
        for (const name of names) {
          if ((await queue.getJobScheduler(schedulerOf(name, config.SCHEDULE_TIME).key)) === undefined)
            missing.push(name)
        }
        for (const name of missing) await upsert(name)
        if (missing.length > 0)
          log.warn(
            { jobs: missing, at: config.SCHEDULE_TIME, tz: config.SCHEDULE_TZ },
            'job schedulers were missing and are set again'
          )
      } catch (err) {
        log.warn({ err: { message: (err as Error).message } }, 'could not check the job schedulers; will try again')
      } finally {
        checking = null
      }
    })()
    await checking
  }
  const check = setInterval(() => {
    void reassert()
  }, config.SCHEDULER_CHECK_MS)

  return {
    reassert,
    async close() {
      closed = true
      if (timer !== null) clearTimeout(timer)
      clearInterval(check)
      if (checking !== null) await checking
      await worker.close()
      await queue.close().catch(() => {})
    }
  }
}
