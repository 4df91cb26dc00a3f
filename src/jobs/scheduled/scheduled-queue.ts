import type { JobQueue, QueueBackend } from '../queue-backend.js'

export const SCHEDULED_JOBS_QUEUE = 'scheduled-jobs'

/** A run requested through the API carries its run id; a daily schedule's job only its name. */
export interface ScheduledJobData {
  name: string
  run_id?: string
}

export const scheduledJobOptions = {
  attempts: 3,
  backoff: { type: 'exponential' as const, delay: 5000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 1000 },
  removeOnFail: { age: 30 * 24 * 3600 }
}

export function createScheduledJobsQueue(backend: QueueBackend): JobQueue<ScheduledJobData> {
  return backend.queue<ScheduledJobData>(SCHEDULED_JOBS_QUEUE, scheduledJobOptions)
}
