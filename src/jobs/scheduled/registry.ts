import type { Logger } from 'pino'
import type { Database } from '../../db/database.js'
import { trainingExpiryAlerts } from './training-expiry.job.js'
import { dbsRenewalAlerts } from './dbs-renewal.job.js'
import { runEvaluationReminders } from '../../evaluations/evaluation-reminders.job.js'
import { sessionGapAlerts } from '../../matches/session-gap.job.js'

/** What a scheduled job is given. `org` null means every organisation (the daily schedule). */
export interface ScheduledJobContext {
  db: Database
  org: string | null
  /** The local day (SCHEDULE_TZ) the run is for: today, or a day an operator or a test chose. */
  asOf: string
  runId: string
  log: Logger
  /** Hands committed outbox rows to the send queue at once; the outbox relay is the fallback. */
  enqueue?: (notificationIds: string[]) => Promise<void>
}

/** Runs the job and returns its counts. Must be safe to run twice, or twice at once. */
export type ScheduledJobHandler = (ctx: ScheduledJobContext) => Promise<Record<string, number>>

/** Every scheduled job by name: each runs daily at SCHEDULE_TIME in SCHEDULE_TZ, and on demand through the API. */
export const scheduledJobs: Record<string, ScheduledJobHandler> = {
  'training-expiry-alerts': trainingExpiryAlerts,
  'dbs-renewal-alerts': dbsRenewalAlerts,
  'evaluation-reminders': runEvaluationReminders,
  'session-gap-alerts': sessionGapAlerts
}

export function isScheduledJob (name: string): boolean {
  return Object.hasOwn(scheduledJobs, name)
}
