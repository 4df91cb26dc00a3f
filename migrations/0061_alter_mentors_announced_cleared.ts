import { sql, type Kysely } from 'kysely'

/**
 * Clearance is derived, never stored; what is kept is the clearance last announced to webhook
 * subscribers, so that a change of it (by a transition, a vetting record or the passing of time) is
 * announced once. Null: not worked out yet, and nothing to compare with.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`alter table mentors add column announced_cleared boolean`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`alter table mentors drop column announced_cleared`.execute(db)
}
