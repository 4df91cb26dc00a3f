import { sql, type RawBuilder } from 'kysely'
import { Value } from 'typebox/value'
import type { Executor } from '../db/database.js'
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

const DEFAULTS = (Value.Default(ProgrammeRulesSchema, {}) as ProgrammeRules).mentor_requirements

/** A programme's mentor requirements with every default filled in. */
export function requirementsOf (rules: unknown): MentorRequirements {
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
  status_checks: Array<{ checked_on: string, result: string }>
}

export interface VettingRecords {
  mentor_id: string
  status: string
  works_in_care_system: boolean
  professional_background: { involvement_ended_on: string } | null
  programmes: Array<{ id: string, name: string, rules: unknown }>
  interviews: Array<{ held_on: string, outcome: string }>
  references: Array<{ received_on: string | null, satisfactory: boolean | null }>
  trainings: Array<{ kind: string, completed_on: string, hours: number }>
  dbs: DbsRecord[]
}

export function statusFor (expiresOn: string, asOf: string): CheckStatus {
  const left = daysBetween(asOf, expiresOn)
  if (left <= 0) return 'expired'
  if (left <= EXPIRING_WITHIN_DAYS) return 'expiring'
  return 'ok'
}

export const isClearStatus = (s: CheckStatus): boolean => s === 'ok' || s === 'expiring'

/** Why a DBS check does not count, or null when it does (on the day). */
export function dbsProblem (d: DbsRecord, asOf: string): string | null {
  if (d.issued_on > asOf) return 'issued after the day in question'
  if (d.level !== 'enhanced_with_barred_list_children') return 'not an enhanced check with the children\'s barred list'
  if (d.workforce !== 'child' && d.workforce !== 'child_and_adult') return 'not for the child workforce'
  if (d.outcome === 'information_disclosed' && d.risk_decision?.acceptable !== true) {
    return d.risk_decision === null ? 'information was disclosed and no coordinator risk decision is recorded' : 'information was disclosed and the coordinator judged it not acceptable'
  }
  if (d.status_checks.some((s) => s.result === 'changed' && s.checked_on <= asOf)) return 'the Update Service reports a change since issue: a new check is needed'
  return null
}

/** The day an acceptable DBS check lapses: renewal due, or on the Update Service the next status check due. */
export function dbsExpiry (d: DbsRecord, req: MentorRequirements, asOf: string): { expires_on: string, last_checked: string } {
  if (!d.update_service_subscribed) return { expires_on: addMonths(d.issued_on, req.dbs_renewal_months), last_checked: d.issued_on }
  const last = d.status_checks.filter((s) => s.result === 'no_change' && s.checked_on <= asOf)
    .reduce((acc, s) => (s.checked_on > acc ? s.checked_on : acc), d.issued_on)
  return { expires_on: addMonths(last, req.dbs_update_service_check_months), last_checked: last }
}

/** The acceptable DBS check lasting longest, or null. */
export function bestDbs (records: DbsRecord[], req: MentorRequirements, asOf: string): { record: DbsRecord, expires_on: string, last_checked: string } | null {
  let best: { record: DbsRecord, expires_on: string, last_checked: string } | null = null
  for (const d of records) {
    if (dbsProblem(d, asOf) !== null) continue
    const e = dbsExpiry(d, req, asOf)
    if (best === null || e.expires_on > best.expires_on) best = { record: d, ...e }
  }
  return best
}

/** The day the latest safeguarding training lapses, or null when there is none. */
export function safeguardingExpiry (trainings: VettingRecords['trainings'], req: MentorRequirements, asOf: string): { completed_on: string, expires_on: string } | null {
  const latest = trainings.filter((t) => t.kind === 'safeguarding' && t.completed_on <= asOf)
    .reduce<string | null>((acc, t) => (acc === null || t.completed_on > acc ? t.completed_on : acc), null)
  return latest === null ? null : { completed_on: latest, expires_on: addMonths(latest, req.safeguarding_training_valid_months) }
}

/** Every check one programme asks of the mentor, on `asOf`. */
export function programmeChecks (r: VettingRecords, programmeId: string, req: MentorRequirements, asOf: string): ComplianceCheck[] {
  const checks: ComplianceCheck[] = []
  const add = (name: string, status: CheckStatus, expiresOn: string | null, detail: string): void => {
    checks.push({ name, status, expires_on: expiresOn, programme_id: programmeId, detail })
  }

  const passed = r.interviews.filter((i) => i.outcome === 'passed' && i.held_on <= asOf)
  add('interview', passed.length > 0 ? 'ok' : 'missing', null,
    passed.length > 0 ? `Interview passed on ${passed[passed.length - 1].held_on}` : 'No passed interview is recorded')

  const satisfactory = r.references.filter((x) => x.satisfactory === true && x.received_on !== null && x.received_on <= asOf).length
  add('references', satisfactory >= req.references_required ? 'ok' : 'missing', null,
    `${satisfactory} satisfactory reference${satisfactory === 1 ? '' : 's'} received; ${req.references_required} required`)

  const hours = r.trainings.filter((t) => t.kind === 'initial' && t.completed_on <= asOf).reduce((sum, t) => sum + t.hours, 0)
  add('initial_training', hours >= req.initial_training_hours ? 'ok' : 'missing', null,
    `${hours} hours of initial training completed; ${req.initial_training_hours} required`)

  const dbs = bestDbs(r.dbs, req, asOf)
  if (dbs === null) {
    const latest = r.dbs.filter((d) => d.issued_on <= asOf).sort((a, b) => (a.issued_on < b.issued_on ? 1 : -1))[0]
    add('dbs', 'missing', null, latest === undefined
      ? 'No enhanced DBS check with the children\'s barred list is recorded'
      : `The latest DBS check (issued ${latest.issued_on}) does not count: ${dbsProblem(latest, asOf) ?? 'it has lapsed'}`)
  } else {
    const status = statusFor(dbs.expires_on, asOf)
    const renewing = dbs.record.renewal_in_progress ? ' A renewal is in progress.' : ''
    add('dbs', status, dbs.expires_on, dbs.record.update_service_subscribed
      ? `Enhanced DBS with the children's barred list on the Update Service; last status check ${dbs.last_checked}; the next is needed before ${dbs.expires_on}.${renewing}`
      : `Enhanced DBS with the children's barred list issued ${dbs.record.issued_on}; renewal due by ${dbs.expires_on} (every ${req.dbs_renewal_months} months).${renewing}`)
  }

  const sg = safeguardingExpiry(r.trainings, req, asOf)
  if (sg === null) {
    add('safeguarding_training', 'missing', null, 'No safeguarding training is recorded')
  } else {
    const status = statusFor(sg.expires_on, asOf)
    add('safeguarding_training', status, sg.expires_on,
      `Safeguarding training completed ${sg.completed_on}; valid for ${req.safeguarding_training_valid_months} months, lapsing on ${sg.expires_on}`)
  }

  if (req.independent_of_care_system) {
    add('independent_of_care_system', r.works_in_care_system ? 'missing' : 'ok', null,
      r.works_in_care_system ? 'The programme needs mentors independent of the care system; this mentor works in it' : 'Independent of the care system')
  }

  const gap = req.prior_professional_gap_months
  const maxGap = req.max_prior_professional_gap_months
  if (gap !== undefined || maxGap !== undefined) {
    const ended = r.professional_background?.involvement_ended_on ?? null
    if (ended === null) {
      add('prior_professional_gap', 'missing', null, 'The programme is for former professionals: no professional involvement end date is recorded')
    } else {
      const from = addMonths(ended, gap ?? 0)
      if (asOf < from) {
        add('prior_professional_gap', 'missing', null, `Professional involvement ended ${ended}; ${gap ?? 0} months must pass, so eligible from ${from}`)
      } else if (maxGap !== undefined) {
        const until = addMonths(ended, maxGap)
        add('prior_professional_gap', statusFor(until, asOf), until, `Professional involvement ended ${ended}; eligible from ${from} until ${addDays(until, -1)}`)
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
  programmes: Array<{ programme_id: string, clear: boolean, cleared: boolean }>
}

/** Every programme's checks; cleared for a programme when approved and all its checks are ok or expiring. */
export function evaluate (r: VettingRecords, asOf: string): ComplianceResult {
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

/** Everything compliance needs for a set of mentors, in one round trip whatever their number. */
export async function loadRecords (db: Executor, org: string | null, mentorIds: string[]): Promise<Map<string, VettingRecords>> {
  const out = new Map<string, VettingRecords>()
  if (mentorIds.length === 0) return out
  const rows = await sql<Omit<VettingRecords, 'mentor_id'> & { id: string }>`
    select m.id, m.status, m.works_in_care_system, m.professional_background,
      coalesce((select json_agg(json_build_object('id', p.id, 'name', p.name, 'rules', p.rules) order by p.created_at, p.id)
        from mentor_programmes mp join programmes p on p.id = mp.programme_id where mp.mentor_id = m.id), '[]') as programmes,
      coalesce((select json_agg(json_build_object('held_on', i.held_on, 'outcome', i.outcome) order by i.held_on)
        from mentor_interviews i where i.mentor_id = m.id), '[]') as interviews,
      coalesce((select json_agg(json_build_object('received_on', x.received_on, 'satisfactory', x.satisfactory))
        from mentor_references x where x.mentor_id = m.id), '[]') as references,
      coalesce((select json_agg(json_build_object('kind', t.kind, 'completed_on', t.completed_on, 'hours', t.hours))
        from mentor_trainings t where t.mentor_id = m.id), '[]') as trainings,
      coalesce((select json_agg(json_build_object('id', d.id, 'level', d.level, 'workforce', d.workforce, 'issued_on', d.issued_on,
          'update_service_subscribed', d.update_service_subscribed, 'outcome', d.outcome, 'risk_decision', d.risk_decision,
          'renewal_in_progress', d.renewal_in_progress,
          'status_checks', coalesce((select json_agg(json_build_object('checked_on', s.checked_on, 'result', s.result))
            from mentor_dbs_status_checks s where s.dbs_check_id = d.id), '[]')))
        from mentor_dbs_checks d where d.mentor_id = m.id), '[]') as dbs
    from mentors m
    where m.id = any(${mentorIds}::uuid[]) ${org === null ? sql`` : sql`and m.organisation_id = ${org}`}`.execute(db)
  for (const r of rows.rows) {
    const { id, ...rest } = r
    out.set(id, { mentor_id: id, ...rest })
  }
  return out
}

/** One mentor's compliance on `asOf`; undefined when the mentor is not in the organisation. */
export async function mentorCompliance (db: Executor, org: string, mentorId: string, asOf: string): Promise<ComplianceResult | undefined> {
  const records = (await loadRecords(db, org, [mentorId])).get(mentorId)
  return records === undefined ? undefined : evaluate(records, asOf)
}

const lit = (n: number | boolean): RawBuilder<unknown> => sql.lit(n)

/**
 * The (mentor, programme) pairs cleared on `asOf`, set-based: approved, and meeting every one of the
 * programme's mentor requirements. The same rules as `programmeChecks`, with the same defaults.
 */
export function clearedPairs (org: string, asOf: string, programmeId?: string): RawBuilder<{ mentor_id: string, programme_id: string }> {
  const day = sql`${asOf}::date`
  const mr = (key: string, type: string, fallback: number | boolean | undefined): RawBuilder<unknown> => fallback === undefined
    ? sql`(p.rules->'mentor_requirements'->>${key})::${sql.raw(type)}`
    : sql`coalesce((p.rules->'mentor_requirements'->>${key})::${sql.raw(type)}, ${lit(fallback)})`
  const onlyProgramme = programmeId === undefined ? sql`` : sql`and p.id = ${programmeId}`
  return sql<{ mentor_id: string, programme_id: string }>`
    with req as (
      select p.id as programme_id,
        ${mr('dbs_renewal_months', 'int', DEFAULTS.dbs_renewal_months)} as dbs_months,
        ${mr('dbs_update_service_check_months', 'int', DEFAULTS.dbs_update_service_check_months)} as us_months,
        ${mr('safeguarding_training_valid_months', 'int', DEFAULTS.safeguarding_training_valid_months)} as sg_months,
        ${mr('initial_training_hours', 'float8', DEFAULTS.initial_training_hours)} as init_hours,
        ${mr('references_required', 'int', DEFAULTS.references_required)} as refs,
        ${mr('independent_of_care_system', 'boolean', DEFAULTS.independent_of_care_system)} as independent,
        ${mr('prior_professional_gap_months', 'int', undefined)} as gap,
        ${mr('max_prior_professional_gap_months', 'int', undefined)} as max_gap
      from programmes p where p.organisation_id = ${org} ${onlyProgramme}
    )
    select mp.mentor_id, mp.programme_id
    from req r
    join mentor_programmes mp on mp.programme_id = r.programme_id
    join mentors m on m.id = mp.mentor_id and m.organisation_id = ${org} and m.status = 'approved'
    where exists (select 1 from mentor_interviews i where i.mentor_id = m.id and i.outcome = 'passed' and i.held_on <= ${day})
      and (select count(*) from mentor_references x where x.mentor_id = m.id and x.satisfactory and x.received_on <= ${day}) >= r.refs
      and coalesce((select sum(t.hours) from mentor_trainings t where t.mentor_id = m.id and t.kind = 'initial' and t.completed_on <= ${day}), 0) >= r.init_hours
      and ((select max(t.completed_on) from mentor_trainings t where t.mentor_id = m.id and t.kind = 'safeguarding' and t.completed_on <= ${day})
            + make_interval(months => r.sg_months))::date > ${day}
      and exists (
        select 1 from mentor_dbs_checks d
        where d.mentor_id = m.id and d.issued_on <= ${day}
          and d.level = 'enhanced_with_barred_list_children' and d.workforce in ('child', 'child_and_adult')
          and (d.outcome = 'clear' or (d.risk_decision->>'acceptable')::boolean is true)
          and not exists (select 1 from mentor_dbs_status_checks s where s.dbs_check_id = d.id and s.result = 'changed' and s.checked_on <= ${day})
          and (case when d.update_service_subscribed
                then greatest(d.issued_on, (select max(s.checked_on) from mentor_dbs_status_checks s
                                            where s.dbs_check_id = d.id and s.result = 'no_change' and s.checked_on <= ${day}))
                     + make_interval(months => r.us_months)
                else d.issued_on + make_interval(months => r.dbs_months) end)::date > ${day})
      and (not r.independent or not m.works_in_care_system)
      and ((r.gap is null and r.max_gap is null) or (
        (m.professional_background->>'involvement_ended_on') is not null
        and ((m.professional_background->>'involvement_ended_on')::date + make_interval(months => coalesce(r.gap, 0)))::date <= ${day}
        and (r.max_gap is null or ((m.professional_background->>'involvement_ended_on')::date + make_interval(months => r.max_gap))::date > ${day})))`
}

/** The mentors of a programme cleared on `asOf` under that programme's requirements. */
export async function clearedMentorIds (db: Executor, org: string, programmeId: string, asOf: string): Promise<Set<string>> {
  const rows = await clearedPairs(org, asOf, programmeId).execute(db)
  return new Set(rows.rows.map((r) => r.mentor_id))
}

/** A subquery of the mentor ids cleared on `asOf`, for one programme or for any of theirs. */
export function clearedMentorIdsQuery (org: string, asOf: string, programmeId?: string): RawBuilder<{ mentor_id: string }> {
  return sql<{ mentor_id: string }>`select c.mentor_id from (${clearedPairs(org, asOf, programmeId)}) c`
}
