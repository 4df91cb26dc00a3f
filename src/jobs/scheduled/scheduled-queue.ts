import { Queue, type ConnectionOptions } from 'bullmq'

export const SCHEDULED_JOBS_QUEUE = 'scheduled-jobs'

/** A run requested through the API carries its run id; a daily schedule's job only its name. */
export interface ScheduledJobData { name: string, run_id?: string }

export const scheduledJobOptions = {
  attempts: 3,
  backoff: { type: 'exponential' as const, delay: 5000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 1000 },
  removeOnFail: { age: 30 * 24 * 3600 }
}

export function createScheduledJobsQueue (connection: ConnectionOptions, prefix: string): Queue<ScheduledJobData> {
  return new Queue<ScheduledJobData>(SCHEDULED_JOBS_QUEUE, { connection, prefix, defaultJobOptions: scheduledJobOptions })
}

/** The cron pattern of a daily run at HH:MM (interpreted in the scheduler's time zone). */
export function dailyPattern (time: string): string {
  const [hh, mm] = time.split(':').map((n) => Number.parseInt(n, 10))
  return `${mm} ${hh} * * *`
}
