import { sql, type Kysely } from 'kysely'

export async function up (db: Kysely<any>): Promise<void> {
  // Geocoder answers, kept so a postcode is looked up once. `found` false remembers an unknown postcode.
  await db.schema.createTable('postcode_locations')
    .addColumn('postcode', 'text', (c) => c.primaryKey())
    .addColumn('found', 'boolean', (c) => c.notNull())
    .addColumn('latitude', 'float8')
    .addColumn('longitude', 'float8')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('fetched_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  // The last lookup tells the matching cache whether coordinates changed.
  await sql`create index postcode_locations_fetched_idx on postcode_locations (fetched_at)`.execute(db)

  // The matching cache's freshness check: the latest change of an organisation's mentors and of a
  // programme's mentor list, each one index probe.
  await sql`create index mentors_org_updated_idx on mentors (organisation_id, updated_at)`.execute(db)
  await sql`create index mentor_programmes_programme_created_idx on mentor_programmes (programme_id, created_at)`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop index mentor_programmes_programme_created_idx`.execute(db)
  await sql`drop index mentors_org_updated_idx`.execute(db)
  await db.schema.dropTable('postcode_locations').execute()
}
