import { sql, type Kysely } from 'kysely'

/**
 * 0041 (subject lookups by name and date of birth) and 0091 (referrals linked as one young person)
 * were written apart and both name an index `referrals_young_person_idx`; on a database with 0041,
 * 0091 could not run. Both are frozen, so 0041's index takes a name of its own here, before 0091.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`alter index if exists referrals_young_person_idx rename to referrals_subject_lookup_idx`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`alter index if exists referrals_subject_lookup_idx rename to referrals_young_person_idx`.execute(db)
}
