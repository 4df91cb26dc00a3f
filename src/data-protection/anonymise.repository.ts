import { sql } from 'kysely'
import type { Executor } from '../db/database.js'
import type { AuditResourceType } from '../audit/audit.repository.js'

/**
 * What anonymisation leaves of a record: names, contact details and free text replaced, a date of
 * birth reduced to its year (1 January of it), a postcode to its district. Counts, dates of events,
 * statuses, reason codes, durations and outcome scores stay, so reports still add up, and the record
 * still reads. Each function takes the ids already chosen (and locked) and returns the ids of every
 * record it changed, by kind, for the audit trail.
 */

export const REPLACED = 'Anonymised'
const NO_EMAIL = 'anonymised@anonymised.invalid'

/** A record anonymised: what it is, and whose (the referral of the young person, or the mentor). */
export interface DisposedRecord {
  type: AuditResourceType
  id: string
  referral_id: string | null
  mentor_id: string | null
}
export type Disposed = DisposedRecord[]

type Row = { id: string; referral_id?: string | null; mentor_id?: string | null }
const as = (type: AuditResourceType, rows: Row[]): Disposed =>
  rows.map((r) => ({ type, id: r.id, referral_id: r.referral_id ?? null, mentor_id: r.mentor_id ?? null }))
const ids = (rows: Array<{ id: string }>): string[] => rows.map((r) => r.id)

/** A referral (the young person's record) and the match records under it. Concerns and notifications have classes of their own. */
export async function anonymiseReferrals(db: Executor, referralIds: string[]): Promise<Disposed> {
  if (referralIds.length === 0) return []
  const list = sql`${referralIds}::uuid[]`
  const referrals = await sql<{ id: string }>`
    update referrals r set
      young_person = jsonb_strip_nulls(jsonb_build_object(
        'given_name', ${REPLACED}::text, 'family_name', ${REPLACED}::text,
        'date_of_birth', left(r.young_person->>'date_of_birth', 4) || '-01-01',
        'gender', ${REPLACED}::text,
        'postcode', split_part(r.young_person->>'postcode', ' ', 1),
        'education_setting', r.young_person->'education_setting',
        'school_year', r.young_person->'school_year',
        'care_status', r.young_person->'care_status',
        'has_ldd', r.young_person->'has_ldd')),
      referrer = jsonb_strip_nulls(jsonb_build_object(
        'name', ${REPLACED}::text, 'role', r.referrer->'role', 'organisation', r.referrer->'organisation',
        'team', r.referrer->'team', 'email', ${NO_EMAIL}::text, 'is_parent_or_carer', r.referrer->'is_parent_or_carer')),
      needs = r.needs || jsonb_build_object('statement', ${REPLACED}::text),
      preferences = r.preferences - 'notes',
      consent = case when r.consent ? 'parental'
        then jsonb_set(jsonb_set(r.consent, '{young_person,recorded_by}', to_jsonb(${REPLACED}::text)), '{parental,name}', to_jsonb(${REPLACED}::text))
        else jsonb_set(r.consent, '{young_person,recorded_by}', to_jsonb(${REPLACED}::text)) end,
      other_services = (select coalesce(jsonb_agg(to_jsonb(${REPLACED}::text)), '[]'::jsonb) from jsonb_array_elements(r.other_services)),
      information_request = case when r.information_request is null then null
        else r.information_request || jsonb_build_object('questions', ${REPLACED}::text)
          || case when r.information_request->>'answers' is null then '{}'::jsonb else jsonb_build_object('answers', ${REPLACED}::text) end end,
      decline = case when r.decline is null then null else r.decline || '{"note":null}'::jsonb end,
      withdrawal = case when r.withdrawal is null then null else r.withdrawal || jsonb_build_object('reason', ${REPLACED}::text) end,
      referrer_key = 'anonymised:' || r.id,
      name_key = null, has_possible_duplicates = false,
      anonymised_at = now(), updated_at = now(), version = r.version + 1
    where r.id = any(${list})
    returning r.id, r.id as referral_id`.execute(db)
  // A possible duplicate was judged on the names now gone: the flag goes too, on both sides.
  const pairs = await sql<{ other: string }>`
    delete from referral_duplicates d where d.referral_id = any(${list}) or d.duplicate_id = any(${list})
    returning case when d.referral_id = any(${list}) then d.duplicate_id else d.referral_id end as other`.execute(db)
  if (pairs.rows.length > 0) {
    await sql`update referrals r set has_possible_duplicates = exists (select 1 from referral_duplicates d where d.referral_id = r.id or d.duplicate_id = r.id)
      where r.id = any(${pairs.rows.map((p) => p.other)}::uuid[])`.execute(db)
  }
  await sql`update referral_status_history set reason = ${REPLACED} where referral_id = any(${list}) and reason is not null`.execute(
    db
  )
  const matches = await sql<Row>`
    update matches m set
      introduction = case when m.introduction ? 'location' then m.introduction || jsonb_build_object('location', ${REPLACED}::text) else m.introduction end,
      agreements = case when m.agreements ? 'parent_carer' and jsonb_typeof(m.agreements->'parent_carer') = 'object'
        then jsonb_set(m.agreements, '{parent_carer,name}', to_jsonb(${REPLACED}::text)) else m.agreements end,
      close_note = null, updated_at = now(), version = m.version + 1
    where m.referral_id = any(${list})
    returning m.id, m.referral_id, m.mentor_id`.execute(db)
  const matchList = sql`${ids(matches.rows)}::uuid[]`
  await sql`update match_status_history set reason = ${REPLACED} where match_id = any(${matchList}) and reason is not null`.execute(
    db
  )
  // Every session is a record disposed of; only those with notes have anything to replace.
  const sessions = await sql<Row>`
    with s as (
      select s.id, m.referral_id, m.mentor_id, s.notes is not null as noted from match_sessions s join matches m on m.id = s.match_id
      where s.match_id = any(${matchList})),
    changed as (update match_sessions set notes = null, updated_at = now() where id in (select id from s where noted))
    select id, referral_id, mentor_id from s`.execute(db)
  const goals = await sql<Row>`
    update match_goals g set title = ${REPLACED}, description = null, progress_notes = '[]'::jsonb, updated_at = now(), version = g.version + 1
    from matches m where m.id = g.match_id and g.match_id = any(${matchList}) returning g.id, m.referral_id, m.mentor_id`.execute(
    db
  )
  // Comments go; the scores stay. One record per evaluation.
  const evaluations = await sql<Row>`
    with changed as (
      update evaluation_responses er set comments = null from evaluations e
      where e.id = er.evaluation_id and e.match_id = any(${matchList}) returning e.id)
    select distinct c.id, m.referral_id, m.mentor_id from changed c join evaluations e on e.id = c.id join matches m on m.id = e.match_id`.execute(
    db
  )
  return [
    ...as('referral', referrals.rows),
    ...as('match', matches.rows),
    ...as('session', sessions.rows),
    ...as('goal', goals.rows),
    ...as('evaluation', evaluations.rows)
  ]
}

/** A mentor's profile and vetting records (DBS metadata included). */
export async function anonymiseMentors(db: Executor, mentorIds: string[]): Promise<Disposed> {
  if (mentorIds.length === 0) return []
  const list = sql`${mentorIds}::uuid[]`
  const mentors = await sql<Row>`
    update mentors m set
      given_name = ${REPLACED}, family_name = ${REPLACED}, email = 'anonymised-' || m.id || '@anonymised.invalid', phone = null,
      gender = ${REPLACED}, cultural_heritage = null, languages = '[]'::jsonb, interests = '[]'::jsonb, experience_summary = null,
      postcode = split_part(m.postcode, ' ', 1), latitude = null, longitude = null, professional_background = null,
      anonymised_at = now(), updated_at = now(), version = m.version + 1
    where m.id = any(${list})
    returning m.id, m.id as mentor_id`.execute(db)
  await sql`update mentor_status_history set reason = ${REPLACED} where mentor_id = any(${list}) and reason is not null`.execute(
    db
  )
  const interviews =
    await sql<Row>`update mentor_interviews set notes = null where mentor_id = any(${list}) returning id, mentor_id`.execute(
      db
    )
  const references =
    await sql<Row>`update mentor_references set referee_name = ${REPLACED} where mentor_id = any(${list}) returning id, mentor_id`.execute(
      db
    )
  const dbs = await sql<Row>`
    update mentor_dbs_checks set certificate_number = ${REPLACED}, update_service_subscription_id = null,
      risk_decision = case when risk_decision is null or jsonb_typeof(risk_decision) <> 'object' then risk_decision
        else risk_decision || jsonb_build_object('rationale', ${REPLACED}::text) end
    where mentor_id = any(${list}) returning id, mentor_id`.execute(db)
  return [
    ...as('mentor', mentors.rows),
    ...as('interview', interviews.rows),
    ...as('reference', references.rows),
    ...as('dbs_check', dbs.rows)
  ]
}

/**
 * Safeguarding concerns past their time: what was reported (the description, an outcome's note, the
 * LADO reference, the follow-up outcomes) replaced; the kind, category, dates, deadlines and outcome
 * kept. The guard on concerns refuses any other change.
 */
export async function anonymiseConcerns(db: Executor, concernIds: string[]): Promise<Disposed> {
  if (concernIds.length === 0) return []
  const list = sql`${concernIds}::uuid[]`
  // The guard lets this transaction replace the text (see migrations 0040 and 0052).
  await sql`select set_config('waymark.anonymising', 'on', true)`.execute(db)
  const concerns = await sql<Row>`
    update safeguarding_concerns c set description = ${REPLACED}, anonymised_at = now(), updated_at = now(),
      outcome_note = case when c.outcome_note is null then null else ${REPLACED} end,
      lado_reference = case when c.lado_reference is null then null else ${REPLACED} end
    where c.id = any(${list}) returning c.id, c.referral_id, coalesce(c.mentor_id, (select mentor_id from matches where id = c.match_id)) as mentor_id`.execute(
    db
  )
  await sql`update safeguarding_concern_actions set outcome = ${REPLACED} where concern_id = any(${list}) and outcome is not null`.execute(
    db
  )
  await sql`select set_config('waymark.anonymising', 'off', true)`.execute(db)
  return as('concern', concerns.rows)
}

/** Messages past their time: recipient, subject and body replaced; kind, status and dates kept. */
export async function anonymiseNotifications(db: Executor, notificationIds: string[]): Promise<Disposed> {
  if (notificationIds.length === 0) return []
  const rows = await sql<Row>`
    update notifications set recipient = ${NO_EMAIL}, subject = ${REPLACED}, body = ${REPLACED}, last_error = null,
      anonymised_at = now(), updated_at = now()
    where id = any(${notificationIds}::uuid[])
    returning id, case when subject_type = 'referral' then subject_id end as referral_id, case when subject_type = 'mentor' then subject_id end as mentor_id`.execute(
    db
  )
  return as('notification', rows.rows)
}

/** Stored responses naming these records (a replayable creation keeps a full copy). */
export async function deleteStoredResponses(db: Executor, org: string, recordIds: string[]): Promise<number> {
  if (recordIds.length === 0) return 0
  const r =
    await sql`delete from idempotency_keys where organisation_id = ${org} and response_body->>'id' = any(${recordIds}::text[])`.execute(
      db
    )
  return Number(r.numAffectedRows ?? 0)
}
