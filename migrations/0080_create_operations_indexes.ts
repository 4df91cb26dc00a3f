import { sql, type Kysely } from 'kysely'

/**
 * What operators read often stays cheap on large tables: the metrics' count of messages given up on
 * and of the last day's messages, and the list of an organisation's job runs, newest first.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`create index if not exists notifications_failed_idx on notifications (created_at) where status = 'failed'`.execute(db)
  await sql`create index if not exists notifications_created_idx on notifications (created_at)`.execute(db)
  await sql`create index if not exists job_runs_org_created_idx on job_runs (organisation_id, created_at desc, id desc)`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop index if exists job_runs_org_created_idx`.execute(db)
  await sql`drop index if exists notifications_created_idx`.execute(db)
  await sql`drop index if exists notifications_failed_idx`.execute(db)
}
