import type { ScheduledJobHandler } from './context.js'
import { trainingExpiryAlerts } from './training-expiry.job.js'
import { dbsRenewalAlerts } from './dbs-renewal.job.js'
import { runEvaluationReminders } from './evaluation-reminders.job.js'
import { sessionGapAlerts } from './session-gap.job.js'
import { retention } from './retention.job.js'

/** Every scheduled job by name: each runs daily at SCHEDULE_TIME in SCHEDULE_TZ, and on demand through the API. */
export const scheduledJobs: Record<string, ScheduledJobHandler> = {
  'training-expiry-alerts': trainingExpiryAlerts,
  'dbs-renewal-alerts': dbsRenewalAlerts,
  'evaluation-reminders': runEvaluationReminders,
  'session-gap-alerts': sessionGapAlerts,
  retention
}

export function isScheduledJob (name: string): boolean {
  return Object.hasOwn(scheduledJobs, name)
}
