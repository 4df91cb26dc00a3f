import { sql } from 'kysely'
import type { Executor } from '../db/database.js'
import { AppError, invalidInput, type FieldError } from '../errors/catalogue.js'
import type { RecordRef, Subject } from '../schemas/data-protection.js'

/** The records that make up a subject: a young person's referrals, or a mentor. */
export interface SubjectRecords {
  referralIds: string[]
  mentorIds: string[]
}

/** A subject names a young person by referral id or by the three identifying fields, a mentor by id or by name. */
export function checkSubject(s: Subject): void {
  const errors: FieldError[] = []
  const path = (f: string): string => `body/subject/${f}`
  if (s.type === 'young_person') {
    if (s.mentor_id !== undefined)
      errors.push({
        path: path('mentor_id'),
        message: 'is for a mentor; a young person is named by referral_id or by name and date of birth'
      })
    if (s.referral_id === undefined) {
      for (const f of ['given_name', 'family_name', 'date_of_birth'] as const) {
        if (s[f] === undefined) errors.push({ path: path(f), message: 'is required without referral_id' })
      }
    }
  } else {
    if (s.referral_id !== undefined)
      errors.push({
        path: path('referral_id'),
        message: 'is for a young person; a mentor is named by mentor_id or by name'
      })
    if (s.date_of_birth !== undefined)
      errors.push({ path: path('date_of_birth'), message: 'is not recorded for mentors' })
    if (s.mentor_id === undefined) {
      for (const f of ['given_name', 'family_name'] as const) {
        if (s[f] === undefined) errors.push({ path: path(f), message: 'is required without mentor_id' })
      }
    }
  }
  if (errors.length > 0) throw invalidInput(errors, 'The subject is not identified')
}

const norm = (s: string): string => s.trim().toLowerCase().replace(/\s+/g, ' ')
const normSql = (json: string): ReturnType<typeof sql> =>
  sql`regexp_replace(lower(btrim(r.young_person->>${json})), '\\s+', ' ', 'g')`

/**
 * Every referral of the young person: the one named and every other of the same name and date of
 * birth in the organisation, or all those matching the three fields; or the mentor. Nothing found is
 * a 422 with reasons, never an empty answer.
 */
export async function resolveSubject(db: Executor, org: string, s: Subject): Promise<SubjectRecords> {
  checkSubject(s)
  if (s.type === 'young_person') {
    let who: { given: string; family: string; dob: string } | null = null
    if (s.referral_id !== undefined) {
      const r = await db
        .selectFrom('referrals')
        .select('young_person')
        .where('id', '=', s.referral_id)
        .where('organisation_id', '=', org)
        .executeTakeFirst()
      if (r === undefined) throw nothingFound('No referral of this organisation has that id', 'referral_not_found')
      const yp = r.young_person
      who = { given: norm(yp.given_name), family: norm(yp.family_name), dob: yp.date_of_birth }
    } else {
      who = {
        given: norm(s.given_name as string),
        family: norm(s.family_name as string),
        dob: s.date_of_birth as string
      }
    }
    const rows = await sql<{ id: string }>`
      select r.id from referrals r
      where r.organisation_id = ${org} and lower(r.young_person->>'family_name') = ${who.family}
        and r.young_person->>'date_of_birth' = ${who.dob}
        and ${normSql('family_name')} = ${who.family} and ${normSql('given_name')} = ${who.given}
      order by r.created_at, r.id`.execute(db)
    const ids = new Set(rows.rows.map((x) => x.id))
    if (s.referral_id !== undefined) ids.add(s.referral_id)
    // Referrals a coordinator linked as the same young person count as theirs, whatever the name on them.
    const linked =
      ids.size === 0
        ? { rows: [] }
        : await sql<{ id: string }>`
      select r.id from referrals r
      where r.organisation_id = ${org} and r.young_person_id in (
        select l.young_person_id from referrals l where l.id = any(${[...ids]}::uuid[]) and l.young_person_id is not null)
      order by r.created_at, r.id`.execute(db)
    for (const r of linked.rows) ids.add(r.id)
    if (ids.size === 0)
      throw nothingFound(
        'No referral of this organisation names a young person with that name and date of birth',
        'young_person_not_found'
      )
    return { referralIds: [...ids], mentorIds: [] }
  }
  let q = db.selectFrom('mentors').select('id').where('organisation_id', '=', org)
  if (s.mentor_id !== undefined) q = q.where('id', '=', s.mentor_id)
  else {
    q = q
      .where(sql`lower(family_name)`, '=', norm(s.family_name as string))
      .where(sql`lower(given_name)`, '=', norm(s.given_name as string))
  }
  const mentors = await q.orderBy('created_at').execute()
  if (mentors.length === 0)
    throw nothingFound(
      s.mentor_id !== undefined
        ? 'No mentor of this organisation has that id'
        : 'No mentor of this organisation has that name',
      'mentor_not_found'
    )
  return { referralIds: [], mentorIds: mentors.map((m) => m.id) }
}

function nothingFound(message: string, code: string): AppError {
  return new AppError('rule_refused', 'The subject matches no record held', { reasons: [{ code, message }] })
}

/** The top-level records of a subject: its referrals (with their references) and matches, or its mentor records. */
export async function subjectRecords(db: Executor, org: string, s: SubjectRecords): Promise<RecordRef[]> {
  const out: RecordRef[] = []
  if (s.referralIds.length > 0) {
    const referrals = await db
      .selectFrom('referrals')
      .select(['id', 'reference'])
      .where('organisation_id', '=', org)
      .where('id', 'in', s.referralIds)
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    for (const r of referrals) out.push({ type: 'referral', id: r.id, reference: r.reference })
    const matches = await db
      .selectFrom('matches')
      .select('id')
      .where('organisation_id', '=', org)
      .where('referral_id', 'in', s.referralIds)
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    for (const m of matches) out.push({ type: 'match', id: m.id })
  }
  for (const id of s.mentorIds) out.push({ type: 'mentor', id })
  return out
}
