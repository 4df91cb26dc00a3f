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
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('postcode_locations').execute()
}
