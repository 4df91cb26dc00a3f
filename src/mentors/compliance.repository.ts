import { sql, type RawBuilder } from 'kysely'
import type { Executor } from '../db/database.js'
import { DEFAULTS, evaluate, type ComplianceResult, type DbsRecord, type VettingRecords } from './compliance.js'

/**
 * The queries behind mentor compliance: the records one judgement needs, and the set-based form of
 * the same rules for lists and scans (`clearedPairs`). The rules themselves are in compliance.ts.
 */

/** A mentor's DBS checks with their Update Service status checks, as a JSON array of DbsRecord. */
export function dbsRecordsOf(mentorId: RawBuilder<unknown> | ReturnType<typeof sql.ref>): RawBuilder<DbsRecord[]> {
  return sql<
    DbsRecord[]
  >`coalesce((select json_agg(json_build_object('id', d.id, 'level', d.level, 'workforce', d.workforce, 'issued_on', d.issued_on,
          'update_service_subscribed', d.update_service_subscribed, 'outcome', d.outcome, 'risk_decision', d.risk_decision,
          'renewal_in_progress', d.renewal_in_progress,
          'status_checks', coalesce((select json_agg(json_build_object('checked_on', s.checked_on, 'result', s.result))
            from mentor_dbs_status_checks s where s.dbs_check_id = d.id), '[]')))
        from mentor_dbs_checks d where d.mentor_id = ${mentorId}), '[]')`
}

/** Everything compliance needs for a set of mentors, in one round trip whatever their number. */
export async function loadRecords(
  db: Executor,
  org: string | null,
  mentorIds: string[]
): Promise<Map<string, VettingRecords>> {
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
      ${dbsRecordsOf(sql.ref('m.id'))} as dbs
    from mentors m
    where m.id = any(${mentorIds}::uuid[]) ${org === null ? sql`` : sql`and m.organisation_id = ${org}`}`.execute(db)
  for (const r of rows.rows) {
    const { id, ...rest } = r
    out.set(id, { mentor_id: id, ...rest })
  }
  return out
}

/** One mentor's compliance on `asOf`; undefined when the mentor is not in the organisation. */
export async function mentorCompliance(
  db: Executor,
  org: string,
  mentorId: string,
  asOf: string
): Promise<ComplianceResult | undefined> {
  const records = (await loadRecords(db, org, [mentorId])).get(mentorId)
  return records === undefined ? undefined : evaluate(records, asOf)
}

const lit = (n: number | boolean): RawBuilder<unknown> => sql.lit(n)

/**
 * The (mentor, programme) pairs cleared on `asOf`, set-based: approved, and meeting every one of the
 * programme's mentor requirements. The same rules as `programmeChecks`, with the same defaults.
 */
export function clearedPairs(
  org: string,
  asOf: string,
  programmeId?: string
): RawBuilder<{ mentor_id: string; programme_id: string }> {
  const day = sql`${asOf}::date`
  const mr = (key: string, type: string, fallback: number | boolean | undefined): RawBuilder<unknown> =>
    fallback === undefined
      ? sql`(p.rules->'mentor_requirements'->>${key})::${sql.raw(type)}`
      : sql`coalesce((p.rules->'mentor_requirements'->>${key})::${sql.raw(type)}, ${lit(fallback)})`
  const onlyProgramme = programmeId === undefined ? sql`` : sql`and p.id = ${programmeId}`
  return sql<{ mentor_id: string; programme_id: string }>`
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
export async function clearedMentorIds(
  db: Executor,
  org: string,
  programmeId: string,
  asOf: string
): Promise<Set<string>> {
  const rows = await clearedPairs(org, asOf, programmeId).execute(db)
  return new Set(rows.rows.map((r) => r.mentor_id))
}

/** A subquery of the mentor ids cleared on `asOf`, for one programme or for any of theirs. */
export function clearedMentorIdsQuery(
  org: string,
  asOf: string,
  programmeId?: string
): RawBuilder<{ mentor_id: string }> {
  return sql<{ mentor_id: string }>`select c.mentor_id from (${clearedPairs(org, asOf, programmeId)}) c`
}
