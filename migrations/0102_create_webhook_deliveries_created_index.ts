import { sql, type Kysely } from 'kysely'

/** The metrics count the last day's webhook deliveries by status: one range of this index, not the table. */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`create index if not exists webhook_deliveries_created_idx on webhook_deliveries (created_at)`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop index if exists webhook_deliveries_created_idx`.execute(db)
}
