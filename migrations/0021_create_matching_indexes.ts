import { sql, type Kysely } from 'kysely'

/**
 * The matching cache's indexes. 0011 was changed after it had been released to create these too, so a
 * database migrated before that change has none of them while a later one has all three: they are
 * created here if missing, and 0011 stays as it is.
 */
export async function up (db: Kysely<any>): Promise<void> {
  // The last lookup tells the matching cache whether coordinates changed.
  await sql`create index if not exists postcode_locations_fetched_idx on postcode_locations (fetched_at)`.execute(db)
  // The matching cache's freshness check: the latest change of an organisation's mentors and of a
  // programme's mentor list, each one index probe.
  await sql`create index if not exists mentors_org_updated_idx on mentors (organisation_id, updated_at)`.execute(db)
  await sql`create index if not exists mentor_programmes_programme_created_idx on mentor_programmes (programme_id, created_at)`.execute(db)
}

/** Nothing to undo: where 0011 created the indexes they are its own, and its `down` drops them. */
export async function down (_db: Kysely<any>): Promise<void> {}
