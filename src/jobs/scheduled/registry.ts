import type { ScheduledJobHandler } from './context.js'
import { trainingExpiryAlerts } from './training-expiry.job.js'
import { dbsRenewalAlerts } from './dbs-renewal.job.js'
import { runEvaluationReminders } from './evaluation-reminders.job.js'
import { sessionGapAlerts } from './session-gap.job.js'
import { retention } from './retention.job.js'
import { safeguardingDeadlines } from './safeguarding-deadlines.job.js'

/** Every scheduled job by name; each runs on its schedule (below) and on demand through the API. */
export const scheduledJobs: Record<string, ScheduledJobHandler> = {
  'training-expiry-alerts': trainingExpiryAlerts,
  'dbs-renewal-alerts': dbsRenewalAlerts,
  'evaluation-reminders': runEvaluationReminders,
  'session-gap-alerts': sessionGapAlerts,
  retention,
  'safeguarding-deadlines': safeguardingDeadlines
}

/** Jobs that run every 15 minutes rather than daily: a missed safeguarding deadline cannot wait a day. */
const QUARTER_HOURLY = new Set(['safeguarding-deadlines'])

export function isScheduledJob(name: string): boolean {
  return Object.hasOwn(scheduledJobs, name)
}

/** A job's scheduler: its key and cron pattern (in SCHEDULE_TZ). Daily jobs run at SCHEDULE_TIME. */
export function schedulerOf(name: string, scheduleTime: string): { key: string; pattern: string } {
  if (QUARTER_HOURLY.has(name)) return { key: `every-15-minutes:${name}`, pattern: '*/15 * * * *' }
  const [hh, mm] = scheduleTime.split(':').map((n) => Number.parseInt(n, 10))
  return { key: `daily:${name}`, pattern: `${mm} ${hh} * * *` }
}
