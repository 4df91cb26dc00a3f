import { sql } from 'kysely'
import type { Executor } from '../db/database.js'

/**
 * What anonymisation leaves of a record: names, contact details and free text replaced, a date of
 * birth reduced to its year (1 January of it), a postcode to its district. Counts, dates of events,
 * statuses, reason codes, durations and outcome scores stay, so reports still add up, and the record
 * still reads. Each function takes the ids already chosen (and locked) and returns the ids of every
 * record it changed, by kind, for the audit trail.
 */

export const REPLACED = 'Anonymised'
const NO_EMAIL = 'anonymised@anonymised.invalid'

export type Disposed = Record<string, string[]>

const ids = (rows: Array<{ id: string }>): string[] => rows.map((r) => r.id)

/** A referral (the young person's record) and the match records under it. Concerns and notifications have classes of their own. */
export async function anonymiseReferrals (db: Executor, referralIds: string[]): Promise<Disposed> {
  if (referralIds.length === 0) return {}
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
      anonymised_at = now(), updated_at = now(), version = r.version + 1
    where r.id = any(${list})
    returning r.id`.execute(db)
  await sql`update referral_status_history set reason = ${REPLACED} where referral_id = any(${list}) and reason is not null`.execute(db)
  const matches = await sql<{ id: string }>`
    update matches m set
      introduction = case when m.introduction ? 'location' then m.introduction || jsonb_build_object('location', ${REPLACED}::text) else m.introduction end,
      agreements = case when m.agreements ? 'parent_carer' and jsonb_typeof(m.agreements->'parent_carer') = 'object'
        then jsonb_set(m.agreements, '{parent_carer,name}', to_jsonb(${REPLACED}::text)) else m.agreements end,
      close_note = null, updated_at = now(), version = m.version + 1
    where m.referral_id = any(${list})
    returning m.id`.execute(db)
  const matchList = sql`${ids(matches.rows)}::uuid[]`
  await sql`update match_status_history set reason = ${REPLACED} where match_id = any(${matchList}) and reason is not null`.execute(db)
  const sessions = await sql<{ id: string }>`
    update match_sessions set notes = null, updated_at = now() where match_id = any(${matchList}) returning id`.execute(db)
  const goals = await sql<{ id: string }>`
    update match_goals set title = ${REPLACED}, description = null, progress_notes = '[]'::jsonb, updated_at = now(), version = version + 1
    where match_id = any(${matchList}) returning id`.execute(db)
  const responses = await sql<{ id: string }>`
    update evaluation_responses er set comments = null from evaluations e
    where e.id = er.evaluation_id and e.match_id = any(${matchList}) returning er.id`.execute(db)
  return { referral: ids(referrals.rows), match: ids(matches.rows), session: ids(sessions.rows), goal: ids(goals.rows), evaluation_response: ids(responses.rows) }
}

/** A mentor's profile and vetting records (DBS metadata included). */
export async function anonymiseMentors (db: Executor, mentorIds: string[]): Promise<Disposed> {
  if (mentorIds.length === 0) return {}
  const list = sql`${mentorIds}::uuid[]`
  const mentors = await sql<{ id: string }>`
    update mentors m set
      given_name = ${REPLACED}, family_name = ${REPLACED}, email = 'anonymised-' || m.id || '@anonymised.invalid', phone = null,
      gender = ${REPLACED}, cultural_heritage = null, languages = '[]'::jsonb, interests = '[]'::jsonb, experience_summary = null,
      postcode = split_part(m.postcode, ' ', 1), latitude = null, longitude = null, professional_background = null,
      anonymised_at = now(), updated_at = now(), version = m.version + 1
    where m.id = any(${list})
    returning m.id`.execute(db)
  await sql`update mentor_status_history set reason = ${REPLACED} where mentor_id = any(${list}) and reason is not null`.execute(db)
  const interviews = await sql<{ id: string }>`update mentor_interviews set notes = null where mentor_id = any(${list}) returning id`.execute(db)
  const references = await sql<{ id: string }>`update mentor_references set referee_name = ${REPLACED} where mentor_id = any(${list}) returning id`.execute(db)
  const dbs = await sql<{ id: string }>`
    update mentor_dbs_checks set certificate_number = ${REPLACED}, update_service_subscription_id = null,
      risk_decision = case when risk_decision is null or jsonb_typeof(risk_decision) <> 'object' then risk_decision
        else risk_decision || jsonb_build_object('rationale', ${REPLACED}::text) end
    where mentor_id = any(${list}) returning id`.execute(db)
  return { mentor: ids(mentors.rows), mentor_interview: ids(interviews.rows), mentor_reference: ids(references.rows), dbs_check: ids(dbs.rows) }
}

/** Safeguarding concerns past their time: the text replaced, the category, dates and flags kept. */
export async function anonymiseConcerns (db: Executor, concernIds: string[]): Promise<Disposed> {
  if (concernIds.length === 0) return {}
  const list = sql`${concernIds}::uuid[]`
  // The append-only trigger lets this transaction replace the text (see migration 0040).
  await sql`select set_config('waymark.anonymising', 'on', true)`.execute(db)
  const concerns = await sql<{ id: string }>`
    update safeguarding_concerns set description = ${REPLACED}, anonymised_at = now(), updated_at = now()
    where id = any(${list}) returning id`.execute(db)
  await sql`update safeguarding_concern_actions set outcome = ${REPLACED} where concern_id = any(${list}) and outcome is not null`.execute(db)
  await sql`select set_config('waymark.anonymising', 'off', true)`.execute(db)
  return { safeguarding_concern: ids(concerns.rows) }
}

/** Messages past their time: recipient, subject and body replaced; kind, status and dates kept. */
export async function anonymiseNotifications (db: Executor, notificationIds: string[]): Promise<Disposed> {
  if (notificationIds.length === 0) return {}
  const rows = await sql<{ id: string }>`
    update notifications set recipient = ${NO_EMAIL}, subject = ${REPLACED}, body = ${REPLACED}, last_error = null,
      anonymised_at = now(), updated_at = now()
    where id = any(${notificationIds}::uuid[]) returning id`.execute(db)
  return { notification: ids(rows.rows) }
}

/** Stored responses naming these records (a replayable creation keeps a full copy). */
export async function deleteStoredResponses (db: Executor, org: string, recordIds: string[]): Promise<number> {
  if (recordIds.length === 0) return 0
  const r = await sql`delete from idempotency_keys where organisation_id = ${org} and response_body->>'id' = any(${recordIds}::text[])`.execute(db)
  return Number(r.numAffectedRows ?? 0)
}

export function mergeDisposed (into: Disposed, more: Disposed): Disposed {
  for (const [k, v] of Object.entries(more)) into[k] = [...(into[k] ?? []), ...v]
  return into
}
