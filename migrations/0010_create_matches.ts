import { sql, type Kysely } from 'kysely'

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('matches')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
    .addColumn('referral_id', 'uuid', (c) => c.notNull().references('referrals.id'))
    .addColumn('mentor_id', 'uuid', (c) => c.notNull().references('mentors.id'))
    .addColumn('programme_id', 'uuid', (c) => c.notNull().references('programmes.id'))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('proposed'))
    .addColumn('introduction', 'jsonb', (c) => c.notNull())
    .addColumn('agreements', 'jsonb')
    .addColumn('started_on', 'date')
    .addColumn('paused_at', 'date')
    .addColumn('closed_on', 'date')
    .addColumn('close_reason_code', 'text')
    .addColumn('close_note', 'text')
    .addColumn('flagged_at', 'timestamptz')
    .addColumn('flag_reason', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('matches_status_check', sql`status in ('proposed','active','paused','closed')`)
    .addCheckConstraint('matches_close_reason_check', sql`close_reason_code is null or close_reason_code in ('planned_end','goals_met','young_person_withdrew','mentor_withdrew','moved_away','safeguarding','rematch','other')`)
    .execute()
  // A young person has at most one open match at a time.
  await sql`create unique index matches_open_referral_key on matches (referral_id) where status in ('proposed','active','paused')`.execute(db)
  // Places in use per mentor, and a mentor's own list.
  await sql`create index matches_open_mentor_idx on matches (mentor_id) where status in ('proposed','active','paused')`.execute(db)
  await sql`create index matches_org_created_idx on matches (organisation_id, created_at desc, id desc)`.execute(db)
  await sql`create index matches_mentor_created_idx on matches (mentor_id, created_at desc, id desc)`.execute(db)
  await sql`create index matches_referral_idx on matches (referral_id)`.execute(db)
  await sql`create index matches_active_idx on matches (status, id) where status = 'active'`.execute(db)

  await db.schema.createTable('match_status_history')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('match_id', 'uuid', (c) => c.notNull().references('matches.id').onDelete('cascade'))
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('on_date', 'date', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('actor_role', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await sql`create index match_status_history_match_idx on match_status_history (match_id, id)`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('match_status_history').execute()
  await db.schema.dropTable('matches').execute()
}
