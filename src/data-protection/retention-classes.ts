/**
 * Retention classes and their defaults, in months after the event that starts each clock. An
 * organisation may change any of them; idempotency keys are kept a day and are not a class.
 */
export const RETENTION_DEFAULTS = {
  /** A declined or withdrawn referral, from the decision. */
  referral_declined_or_withdrawn: 24,
  /** A closed referral, from the day its match closed. */
  referral_closed: 72,
  /** A withdrawn mentor, from the withdrawal. */
  mentor_left: 72,
  /** A safeguarding concern about a young person, from when it was raised (25 years). */
  safeguarding_concern: 300,
  /** An allegation found unfounded, unsubstantiated or malicious. */
  allegation_unfounded: 120,
  /** A substantiated allegation (100 years). */
  allegation_substantiated: 1200,
  /** A message the service sent or tried to, from when it was written. */
  notification: 24
} as const

export type RetentionClass = keyof typeof RETENTION_DEFAULTS
export const RETENTION_CLASSES = Object.keys(RETENTION_DEFAULTS) as RetentionClass[]
export type RetentionMonths = Record<RetentionClass, number>

/** The longest any class may be set to (125 years). */
export const MAX_RETENTION_MONTHS = 1500

/** The schedule in force: the defaults, overridden by what the organisation set. */
export function effectiveSchedule(overrides: Record<string, number> | null | undefined): RetentionMonths {
  const out = { ...RETENTION_DEFAULTS } as RetentionMonths
  for (const c of RETENTION_CLASSES) {
    const v = overrides?.[c]
    if (typeof v === 'number') out[c] = v
  }
  return out
}

/** Idempotency keys and their stored responses are kept this long, whatever the schedule. */
export const IDEMPOTENCY_KEY_HOURS = 24
