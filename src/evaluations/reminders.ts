import { daysBetween } from '../lib/dates.js'

/** Reminders start this many days before an evaluation falls due. */
export const REMINDER_LEAD_DAYS = 14
/** From this many days overdue, the organisation's admins are told as well. */
export const ESCALATION_DAYS = 28

export interface Threshold {
  /** Part of the dedupe key: each threshold is sent once per evaluation and recipient. */
  key: string
  /** Days from the due date to the day considered (negative before it). */
  days: number
  /** Weeks overdue (0 before or on the due date's first week). */
  weeksOverdue: number
  escalate: boolean
}

/**
 * The reminder an evaluation calls for on a day: `due-soon` from 14 days before the due date,
 * `due` on the due date (and the days after, if a run was missed), then `overdue-week-N` each
 * week it stays overdue, escalating to admins from four weeks. Only the current threshold is sent,
 * so a job that missed days catches up with one message rather than a burst of stale ones.
 */
export function reminderThreshold(dueOn: string, asOf: string): Threshold | null {
  const days = daysBetween(dueOn, asOf)
  if (days < -REMINDER_LEAD_DAYS) return null
  if (days < 0) return { key: 'due-soon', days, weeksOverdue: 0, escalate: false }
  const weeks = Math.floor(days / 7)
  if (weeks === 0) return { key: 'due', days, weeksOverdue: 0, escalate: false }
  return { key: `overdue-week-${weeks}`, days, weeksOverdue: weeks, escalate: days >= ESCALATION_DAYS }
}
