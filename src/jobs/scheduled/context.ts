import type { Logger } from 'pino'
import type { Database } from '../../db/database.js'

/** What a scheduled job is given. `org` null means every organisation (the daily schedule). */
export interface ScheduledJobContext {
  db: Database
  org: string | null
  /** The local day (SCHEDULE_TZ) the run is for: today, or a day an operator or a test chose. */
  asOf: string
  /** The instant the run judges: now, an instant an operator or a test chose, or the start of `asOf`. */
  asOfInstant: Date
  /** SCHEDULE_TZ: the zone local days and times are reckoned in. */
  timeZone: string
  runId: string
  log: Logger
  /** Hands committed outbox rows to the send queue at once; the outbox relay is the fallback. */
  dispatch: (notificationIds: string[]) => Promise<void>
}

/** Runs the job and returns its counts. Must be safe to run twice, or twice at once. */
export type ScheduledJobHandler = (ctx: ScheduledJobContext) => Promise<Record<string, number>>
