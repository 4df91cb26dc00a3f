import { Value } from 'typebox/value'
import { ProgrammeRulesSchema, type ProgrammeRules } from '../schemas/programmes.js'
import { addDays, addMonths, daysBetween } from '../lib/dates.js'

/**
 * Mentor compliance, derived on demand and never stored, so a lapse takes effect on the day itself
 * without any job having run.
 *
 * Dates are local calendar days in SCHEDULE_TZ. `expires_on` is the day a record lapses: on that day
 * it no longer counts (a training "expiring today" is expired today). A record counts from its own date
 * (held_on, received_on, completed_on, issued_on, checked_on) onwards, so an `as_of` in the past judges
 * the mentor on what had been recorded for that day. A check is `expiring` within 30 days of lapsing.
 *
 * The same rules exist twice: in TypeScript for one mentor's itemised checks, and set-based in SQL
 * (`clearedPairs`) for lists and scans; the tests hold them to the same answers.
 */
export type CheckStatus = 'ok' | 'missing' | 'expiring' | 'expired'

export interface ComplianceCheck {
  name: string
  status: CheckStatus
  expires_on: string | null
  programme_id: string | null
  detail: string
}

export const EXPIRING_WITHIN_DAYS = 30

export type MentorRequirements = ProgrammeRules['mentor_requirements']

/** Every programme requirement's default, as the API fills them in. */
export const DEFAULTS = (Value.Default(ProgrammeRulesSchema, {}) as ProgrammeRules).mentor_requirements

/** A programme's mentor requirements with every default filled in. */
export function requirementsOf(rules: unknown): MentorRequirements {
  const mr = (rules as { mentor_requirements?: Partial<MentorRequirements> } | null)?.mentor_requirements ?? {}
  return { ...DEFAULTS, ...mr }
}

export interface DbsRecord {
  id: string
  level: string
  workforce: string
  issued_on: string
  update_service_subscribed: boolean
  outcome: string
  risk_decision: { acceptable: boolean } | null
  renewal_in_progress: boolean
  status_checks: Array<{ checked_on: string; result: string }>
}

export interface VettingRecords {
  mentor_id: string
  status: string
  works_in_care_system: boolean
  professional_background: { involvement_ended_on: string } | null
  programmes: Array<{ id: string; name: string; rules: unknown }>
  interviews: Array<{ held_on: string; outcome: string }>
  references: Array<{ received_on: string | null; satisfactory: boolean | null }>
  trainings: Array<{ kind: string; completed_on: string; hours: number }>
  dbs: DbsRecord[]
}

export function statusFor(expiresOn: string, asOf: string): CheckStatus {
  const left = daysBetween(asOf, expiresOn)
  if (left <= 0) return 'expired'
  if (left <= EXPIRING_WITHIN_DAYS) return 'expiring'
  return 'ok'
}

export const isClearStatus = (s: CheckStatus): boolean => s === 'ok' || s === 'expiring'

/** Why a DBS check does not count, or null when it does (on the day). */
export function dbsProblem(d: DbsRecord, asOf: string): string | null {
  if (d.issued_on > asOf) return 'issued after the day in question'
  if (d.level !== 'enhanced_with_barred_list_children') return "not an enhanced check with the children's barred list"
  if (d.workforce !== 'child' && d.workforce !== 'child_and_adult') return 'not for the child workforce'
  if (d.outcome === 'information_disclosed' && d.risk_decision?.acceptable !== true) {
    return d.risk_decision === null
      ? 'information was disclosed and no coordinator risk decision is recorded'
      : 'information was disclosed and the coordinator judged it not acceptable'
  }
  if (d.status_checks.some((s) => s.result === 'changed' && s.checked_on <= asOf))
    return 'the Update Service reports a change since issue: a new check is needed'
  return null
}

/** The day an acceptable DBS check lapses: renewal due, or on the Update Service the next status check due. */
export function dbsExpiry(
  d: DbsRecord,
  req: MentorRequirements,
  asOf: string
): { expires_on: string; last_checked: string } {
  if (!d.update_service_subscribed)
    return { expires_on: addMonths(d.issued_on, req.dbs_renewal_months), last_checked: d.issued_on }
  const last = d.status_checks
    .filter((s) => s.result === 'no_change' && s.checked_on <= asOf)
    .reduce((acc, s) => (s.checked_on > acc ? s.checked_on : acc), d.issued_on)
  return { expires_on: addMonths(last, req.dbs_update_service_check_months), last_checked: last }
}

/** The acceptable DBS check lasting longest, or null. */
export function bestDbs(
  records: DbsRecord[],
  req: MentorRequirements,
  asOf: string
): { record: DbsRecord; expires_on: string; last_checked: string } | null {
  let best: { record: DbsRecord; expires_on: string; last_checked: string } | null = null
  for (const d of records) {
    if (dbsProblem(d, asOf) !== null) continue
    const e = dbsExpiry(d, req, asOf)
    if (best === null || e.expires_on > best.expires_on) best = { record: d, ...e }
  }
  return best
}

/** The day the latest safeguarding training lapses, or null when there is none. */
export function safeguardingExpiry(
  trainings: VettingRecords['trainings'],
  req: MentorRequirements,
  asOf: string
): { completed_on: string; expires_on: string } | null {
  const latest = trainings
    .filter((t) => t.kind === 'safeguarding' && t.completed_on <= asOf)
    .reduce<string | null>((acc, t) => (acc === null || t.completed_on > acc ? t.completed_on : acc), null)
  return latest === null
    ? null
    : { completed_on: latest, expires_on: addMonths(latest, req.safeguarding_training_valid_months) }
}

/** Every check one programme asks of the mentor, on `asOf`. */
export function programmeChecks(
  r: VettingRecords,
  programmeId: string,
  req: MentorRequirements,
  asOf: string
): ComplianceCheck[] {
  const checks: ComplianceCheck[] = []
  const add = (name: string, status: CheckStatus, expiresOn: string | null, detail: string): void => {
    checks.push({ name, status, expires_on: expiresOn, programme_id: programmeId, detail })
  }

  const passed = r.interviews.filter((i) => i.outcome === 'passed' && i.held_on <= asOf)
  add(
    'interview',
    passed.length > 0 ? 'ok' : 'missing',
    null,
    passed.length > 0 ? `Interview passed on ${passed[passed.length - 1].held_on}` : 'No passed interview is recorded'
  )

  const satisfactory = r.references.filter(
    (x) => x.satisfactory === true && x.received_on !== null && x.received_on <= asOf
  ).length
  add(
    'references',
    satisfactory >= req.references_required ? 'ok' : 'missing',
    null,
    `${satisfactory} satisfactory reference${satisfactory === 1 ? '' : 's'} received; ${req.references_required} required`
  )

  const hours = r.trainings
    .filter((t) => t.kind === 'initial' && t.completed_on <= asOf)
    .reduce((sum, t) => sum + t.hours, 0)
  add(
    'initial_training',
    hours >= req.initial_training_hours ? 'ok' : 'missing',
    null,
    `${hours} hours of initial training completed; ${req.initial_training_hours} required`
  )

  const dbs = bestDbs(r.dbs, req, asOf)
  if (dbs === null) {
    const latest = r.dbs.filter((d) => d.issued_on <= asOf).sort((a, b) => (a.issued_on < b.issued_on ? 1 : -1))[0]
    add(
      'dbs',
      'missing',
      null,
      latest === undefined
        ? "No enhanced DBS check with the children's barred list is recorded"
        : `The latest DBS check (issued ${latest.issued_on}) does not count: ${dbsProblem(latest, asOf) ?? 'it has lapsed'}`
    )
  } else {
    const status = statusFor(dbs.expires_on, asOf)
    const renewing = dbs.record.renewal_in_progress ? ' A renewal is in progress.' : ''
    add(
      'dbs',
      status,
      dbs.expires_on,
      dbs.record.update_service_subscribed
        ? `Enhanced DBS with the children's barred list on the Update Service; last status check ${dbs.last_checked}; the next is needed before ${dbs.expires_on}.${renewing}`
        : `Enhanced DBS with the children's barred list issued ${dbs.record.issued_on}; renewal due by ${dbs.expires_on} (every ${req.dbs_renewal_months} months).${renewing}`
    )
  }

  const sg = safeguardingExpiry(r.trainings, req, asOf)
  if (sg === null) {
    add('safeguarding_training', 'missing', null, 'No safeguarding training is recorded')
  } else {
    const status = statusFor(sg.expires_on, asOf)
    add(
      'safeguarding_training',
      status,
      sg.expires_on,
      `Safeguarding training completed ${sg.completed_on}; valid for ${req.safeguarding_training_valid_months} months, lapsing on ${sg.expires_on}`
    )
  }

  if (req.independent_of_care_system) {
    add(
      'independent_of_care_system',
      r.works_in_care_system ? 'missing' : 'ok',
      null,
      r.works_in_care_system
        ? 'The programme needs mentors independent of the care system; this mentor works in it'
        : 'Independent of the care system'
    )
  }

  const gap = req.prior_professional_gap_months
  const maxGap = req.max_prior_professional_gap_months
  if (gap !== undefined || maxGap !== undefined) {
    const ended = r.professional_background?.involvement_ended_on ?? null
    if (ended === null) {
      add(
        'prior_professional_gap',
        'missing',
        null,
        'The programme is for former professionals: no professional involvement end date is recorded'
      )
    } else {
      const from = addMonths(ended, gap ?? 0)
      if (asOf < from) {
        add(
          'prior_professional_gap',
          'missing',
          null,
          `Professional involvement ended ${ended}; ${gap ?? 0} months must pass, so eligible from ${from}`
        )
      } else if (maxGap !== undefined) {
        const until = addMonths(ended, maxGap)
        add(
          'prior_professional_gap',
          statusFor(until, asOf),
          until,
          `Professional involvement ended ${ended}; eligible from ${from} until ${addDays(until, -1)}`
        )
      } else {
        add('prior_professional_gap', 'ok', null, `Professional involvement ended ${ended}; eligible since ${from}`)
      }
    }
  }
  return checks
}

export interface ComplianceResult {
  cleared: boolean
  checks: ComplianceCheck[]
  programmes: Array<{ programme_id: string; clear: boolean; cleared: boolean }>
}

/** Every programme's checks; cleared for a programme when approved and all its checks are ok or expiring. */
export function evaluate(r: VettingRecords, asOf: string): ComplianceResult {
  const checks: ComplianceCheck[] = []
  const programmes: ComplianceResult['programmes'] = []
  for (const p of r.programmes) {
    const own = programmeChecks(r, p.id, requirementsOf(p.rules), asOf)
    checks.push(...own)
    const clear = own.every((c) => isClearStatus(c.status))
    programmes.push({ programme_id: p.id, clear, cleared: clear && r.status === 'approved' })
  }
  return { cleared: programmes.some((p) => p.cleared), checks, programmes }
}

/** What keeps a mentor from approval, as the next step to take. */
const NOT_APPROVED: Record<string, string> = {
  applicant:
    'is an applicant, not approved: record the vetting (interview, references, DBS check, training), then approve',
  vetting: 'is in vetting, not approved yet: approve the mentor once every check is clear',
  suspended: 'is suspended: reinstate the mentor first',
  withdrawn: 'has withdrawn from volunteering'
}

/**
 * Every gap between a mentor and clearance for one programme on a day, each its own reason: not
 * approved, and each of the programme's checks that is missing or expired (`dbs_missing`,
 * `references_missing`, `safeguarding_training_expired`...), with what the check found. Empty when cleared.
 */
export function clearanceGaps(
  r: VettingRecords,
  programme: { id: string; rules: unknown },
  name: string,
  asOf: string
): Array<{ code: string; message: string }> {
  const gaps: Array<{ code: string; message: string }> = []
  if (r.status !== 'approved')
    gaps.push({ code: 'not_approved', message: `${name} ${NOT_APPROVED[r.status] ?? `is ${r.status}, not approved`}` })
  for (const c of programmeChecks(r, programme.id, requirementsOf(programme.rules), asOf)) {
    if (!isClearStatus(c.status)) gaps.push({ code: `${c.name}_${c.status}`, message: `${name}: ${c.detail}` })
  }
  return gaps
}
