import type { Logger } from 'pino'
import type { Database } from '../../db/database.js'

/** What a scheduled job is given. `org` null means every organisation (the daily schedule). */
export interface ScheduledJobContext {
  db: Database
  org: string | null
  /** The local day (SCHEDULE_TZ) the run is for: today, or a day an operator or a test chose. */
  asOf: string
  runId: string
  /** SCHEDULE_TZ: the zone local days are reckoned in. */
  tz?: string
  log: Logger
  /** Hands committed outbox rows to the send queue at once; the outbox relay is the fallback. */
  dispatch: (notificationIds: string[]) => Promise<void>
}

/** Runs the job and returns its counts. Must be safe to run twice, or twice at once. */
export type ScheduledJobHandler = (ctx: ScheduledJobContext) => Promise<Record<string, number>>
