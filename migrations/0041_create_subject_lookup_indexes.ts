import { sql, type Kysely } from 'kysely'

/** Subject access and erasure find a young person's referrals by name and date of birth, and a mentor by name. */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`create index referrals_young_person_idx on referrals
    (organisation_id, lower(young_person->>'family_name'), (young_person->>'date_of_birth'))`.execute(db)
  await sql`create index mentors_name_idx on mentors (organisation_id, lower(family_name), lower(given_name))`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop index mentors_name_idx`.execute(db)
  await sql`drop index referrals_young_person_idx`.execute(db)
}
