import { sql, type Kysely } from 'kysely'

/** An operator may send a failed message again, once: who asked and when. */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('notifications')
    .addColumn('retried_at', 'timestamptz')
    .addColumn('retried_by', 'text')
    .execute()
  await sql`alter table notifications add constraint notifications_retried_check check ((retried_at is null) = (retried_by is null))`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('notifications').dropConstraint('notifications_retried_check').execute()
  await db.schema.alterTable('notifications').dropColumn('retried_by').dropColumn('retried_at').execute()
}
