import { sql, type Kysely } from 'kysely'

// Vetting records are append-only: each row is a fact recorded by a coordinator, never edited.
export async function up (db: Kysely<any>): Promise<void> {
  const common = (t: any): any => t
    .addColumn('id', 'uuid', (c: any) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('mentor_id', 'uuid', (c: any) => c.notNull().references('mentors.id').onDelete('cascade'))

  await common(db.schema.createTable('mentor_interviews'))
    .addColumn('held_on', 'date', (c: any) => c.notNull())
    .addColumn('interviewer', 'text', (c: any) => c.notNull())
    .addColumn('outcome', 'text', (c: any) => c.notNull().check(sql`outcome in ('passed','failed','referred')`))
    .addColumn('notes', 'text')
    .addColumn('recorded_by', 'text', (c: any) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c: any) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await sql`create index mentor_interviews_mentor_idx on mentor_interviews (mentor_id, held_on)`.execute(db)

  await common(db.schema.createTable('mentor_references'))
    .addColumn('referee_name', 'text', (c: any) => c.notNull())
    .addColumn('relationship', 'text', (c: any) => c.notNull())
    .addColumn('requested_on', 'date', (c: any) => c.notNull())
    .addColumn('received_on', 'date')
    .addColumn('satisfactory', 'boolean')
    .addColumn('recorded_by', 'text', (c: any) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c: any) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await sql`create index mentor_references_mentor_idx on mentor_references (mentor_id)`.execute(db)

  // DBS metadata only: never the content of a certificate.
  await common(db.schema.createTable('mentor_dbs_checks'))
    .addColumn('level', 'text', (c: any) => c.notNull().check(sql`level in ('enhanced_with_barred_list_children','enhanced','standard','basic')`))
    .addColumn('workforce', 'text', (c: any) => c.notNull().check(sql`workforce in ('child','adult','child_and_adult')`))
    .addColumn('certificate_number', 'text', (c: any) => c.notNull())
    .addColumn('issued_on', 'date', (c: any) => c.notNull())
    .addColumn('update_service_subscribed', 'boolean', (c: any) => c.notNull().defaultTo(false))
    .addColumn('update_service_subscription_id', 'text')
    .addColumn('outcome', 'text', (c: any) => c.notNull().check(sql`outcome in ('clear','information_disclosed')`))
    .addColumn('risk_decision', 'jsonb')
    .addColumn('renewal_in_progress', 'boolean', (c: any) => c.notNull().defaultTo(false))
    .addColumn('recorded_by', 'text', (c: any) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c: any) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await sql`create index mentor_dbs_checks_mentor_idx on mentor_dbs_checks (mentor_id, issued_on)`.execute(db)

  await db.schema.createTable('mentor_dbs_status_checks')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('dbs_check_id', 'uuid', (c) => c.notNull().references('mentor_dbs_checks.id').onDelete('cascade'))
    .addColumn('checked_on', 'date', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull().check(sql`result in ('no_change','changed')`))
    .addColumn('recorded_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await sql`create index mentor_dbs_status_checks_dbs_idx on mentor_dbs_status_checks (dbs_check_id, checked_on)`.execute(db)

  await common(db.schema.createTable('mentor_trainings'))
    .addColumn('kind', 'text', (c: any) => c.notNull().check(sql`kind in ('initial','safeguarding','other')`))
    .addColumn('title', 'text')
    .addColumn('completed_on', 'date', (c: any) => c.notNull())
    .addColumn('hours', 'float8', (c: any) => c.notNull())
    .addColumn('provider', 'text', (c: any) => c.notNull())
    .addColumn('recorded_by', 'text', (c: any) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c: any) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await sql`create index mentor_trainings_mentor_kind_idx on mentor_trainings (mentor_id, kind, completed_on)`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('mentor_trainings').execute()
  await db.schema.dropTable('mentor_dbs_status_checks').execute()
  await db.schema.dropTable('mentor_dbs_checks').execute()
  await db.schema.dropTable('mentor_references').execute()
  await db.schema.dropTable('mentor_interviews').execute()
}
