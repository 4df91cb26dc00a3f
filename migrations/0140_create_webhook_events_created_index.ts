import { sql, type Kysely } from 'kysely'

/** The retention job walks an organisation's webhook events oldest first, past the notification class's months. */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`create index if not exists webhook_events_org_created_idx on webhook_events (organisation_id, created_at, id)`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop index if exists webhook_events_org_created_idx`.execute(db)
}
