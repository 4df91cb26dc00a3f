import { sql, type RawBuilder } from 'kysely'
import type { Executor } from '../db/database.js'
import type { DuplicateBasis, PersonKey } from './duplicates.js'

/** How many earlier referrals a new one is compared with, by each key: the latest, so intake stays cheap. */
export const CANDIDATES_PER_KEY = 10

export interface Candidate extends PersonKey {
  id: string
}

/**
 * The latest referrals of the organisation sharing the young person's date of birth or name key,
 * each through its own index; the caller judges them.
 */
export async function duplicateCandidates(
  db: Executor,
  org: string,
  id: string,
  dateOfBirth: string,
  nameKey: string
): Promise<Candidate[]> {
  const fields = sql`id, young_person->>'given_name' as given_name, young_person->>'family_name' as family_name,
    young_person->>'date_of_birth' as date_of_birth, young_person->>'postcode' as postcode`
  const rows = await sql<Candidate>`
    (select ${fields} from referrals where organisation_id = ${org} and (young_person->>'date_of_birth') = ${dateOfBirth} and id <> ${id}
      order by created_at desc limit ${CANDIDATES_PER_KEY})
    union
    (select ${fields} from referrals where organisation_id = ${org} and name_key = ${nameKey} and id <> ${id}
      order by created_at desc limit ${CANDIDATES_PER_KEY})`.execute(db)
  return rows.rows
}

/**
 * Replaces the possible duplicates recorded for a referral (one row a pair, the lower id first);
 * `fresh`: a referral just inserted, which has none yet.
 */
export async function replaceDuplicates(
  db: Executor,
  org: string,
  id: string,
  found: Array<{ id: string; basis: DuplicateBasis }>,
  fresh: boolean
): Promise<void> {
  const touched = new Set(found.map((f) => f.id))
  if (!fresh) {
    const gone = await db
      .deleteFrom('referral_duplicates')
      .where((eb) => eb.or([eb('referral_id', '=', id), eb('duplicate_id', '=', id)]))
      .returning(['referral_id', 'duplicate_id'])
      .execute()
    for (const g of gone) touched.add(g.referral_id === id ? g.duplicate_id : g.referral_id)
  }
  if (found.length > 0) {
    await db
      .insertInto('referral_duplicates')
      .values(
        found.map((f) => ({
          organisation_id: org,
          referral_id: f.id < id ? f.id : id,
          duplicate_id: f.id < id ? id : f.id,
          basis: f.basis
        }))
      )
      .onConflict((oc) => oc.doNothing())
      .execute()
  }
  if (fresh && found.length === 0) return
  touched.add(id)
  // The flag each referral carries (no new version: the referral itself did not change).
  await sql`update referrals r set has_possible_duplicates = exists (select 1 from referral_duplicates d where d.referral_id = r.id or d.duplicate_id = r.id)
    where r.id = any(${[...touched]}::uuid[])`.execute(db)
}

const INSTANT = (column: string): RawBuilder<string> =>
  sql<string>`to_char(${sql.raw(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

/**
 * The casework view of the referral in `referrals` (the enclosing query's row): possible duplicates
 * not linked to it yet, newest first, and the referrals linked with it as the same young person.
 * Each is looked up only when the row says there is something to find.
 */
export const POSSIBLE_DUPLICATES_SQL = sql<unknown>`case when not referrals.has_possible_duplicates then '[]'::json else (
  select coalesce(json_agg(json_build_object('referral_id', o.id, 'reference', o.reference, 'status', o.status, 'basis', d.basis,
      'submitted_at', ${INSTANT('o.created_at')}) order by o.created_at desc, o.id), '[]'::json)
  from (select x.duplicate_id as other_id, x.basis from referral_duplicates x where x.referral_id = referrals.id
        union all
        select y.referral_id, y.basis from referral_duplicates y where y.duplicate_id = referrals.id) d
  join referrals o on o.id = d.other_id
  where referrals.young_person_id is null or o.young_person_id is distinct from referrals.young_person_id) end`

export const LINKED_REFERRALS_SQL = sql<unknown>`case when referrals.young_person_id is null then '[]'::json else (
  select coalesce(json_agg(l.id order by l.created_at, l.id), '[]'::json)
  from referrals l
  where l.young_person_id = referrals.young_person_id and l.id <> referrals.id) end`

export interface Casework {
  possible_duplicates: unknown[]
  linked_referral_ids: string[]
}

/** The casework fields of one referral. */
export async function caseworkOf(db: Executor, id: string): Promise<Casework> {
  const row = await sql<Casework>`
    select ${POSSIBLE_DUPLICATES_SQL} as possible_duplicates, ${LINKED_REFERRALS_SQL} as linked_referral_ids
    from referrals where referrals.id = ${id}`.execute(db)
  return row.rows[0] ?? { possible_duplicates: [], linked_referral_ids: [] }
}

/** Both referrals locked, in id order (so two links made at once never deadlock); those of the organisation only. */
export async function lockPair(
  db: Executor,
  org: string,
  ids: [string, string]
): Promise<Array<{ id: string; reference: string; young_person_id: string | null }>> {
  return await db
    .selectFrom('referrals')
    .select(['id', 'reference', 'young_person_id'])
    .where('organisation_id', '=', org)
    .where('id', 'in', ids)
    .orderBy('id')
    .forUpdate()
    .execute()
}

/** Every referral in any of the groups, and the referrals named, become one young person. */
export async function joinYoungPerson(
  db: Executor,
  org: string,
  youngPersonId: string,
  ids: string[],
  groups: string[]
): Promise<void> {
  await db
    .updateTable('referrals')
    .set({ young_person_id: youngPersonId, version: sql`version + 1`, updated_at: sql`now()` })
    .where('organisation_id', '=', org)
    .where((eb) =>
      groups.length === 0 ? eb('id', 'in', ids) : eb.or([eb('id', 'in', ids), eb('young_person_id', 'in', groups)])
    )
    .execute()
}

export async function insertLink(
  db: Executor,
  values: {
    organisation_id: string
    referral_id: string
    linked_referral_id: string
    young_person_id: string
    actor_id: string
    actor_role: string
  }
): Promise<void> {
  await db.insertInto('referral_links').values(values).execute()
}

/** An open match of another referral of the same young person, if any. */
export async function openMatchOfLinked(db: Executor, referralId: string): Promise<{ reference: string } | undefined> {
  const rows = await sql<{ reference: string }>`
    select o.reference from referrals r
    join referrals o on o.young_person_id = r.young_person_id and o.id <> r.id
    join matches m on m.referral_id = o.id and m.status in ('proposed', 'active', 'paused')
    where r.id = ${referralId} and r.young_person_id is not null
    limit 1`.execute(db)
  return rows.rows[0]
}
