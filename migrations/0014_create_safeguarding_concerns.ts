import { sql, type Kysely } from 'kysely'

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('safeguarding_concerns')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
    .addColumn('referral_id', 'uuid', (c) => c.notNull().references('referrals.id'))
    .addColumn('match_id', 'uuid', (c) => c.references('matches.id'))
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('occurred_on', 'date')
    .addColumn('immediate_risk', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('raised_by', 'text', (c) => c.notNull())
    .addColumn('raised_role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await sql`create index safeguarding_concerns_org_created_idx on safeguarding_concerns (organisation_id, created_at desc, id desc)`.execute(db)
  await sql`create index safeguarding_concerns_raiser_idx on safeguarding_concerns (organisation_id, raised_by, created_at desc, id desc)`.execute(db)

  await db.schema.createTable('safeguarding_concern_actions')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('concern_id', 'uuid', (c) => c.notNull().references('safeguarding_concerns.id'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text')
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('actor_role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await sql`create index safeguarding_concern_actions_concern_idx on safeguarding_concern_actions (concern_id, id)`.execute(db)

  // A concern and its follow-up actions are a record: appended to, never edited or deleted.
  await sql`
    create function safeguarding_records_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'safeguarding records cannot be changed or deleted' using errcode = '42501';
    end $$`.execute(db)
  await sql`create trigger safeguarding_concerns_append_only before update or delete on safeguarding_concerns
    for each row execute function safeguarding_records_append_only()`.execute(db)
  await sql`create trigger safeguarding_concern_actions_append_only before update or delete on safeguarding_concern_actions
    for each row execute function safeguarding_records_append_only()`.execute(db)

  // What a referrer may see of its referral's match, kept beside the referral.
  await db.schema.alterTable('referrals').addColumn('match_summary', 'jsonb').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('referrals').dropColumn('match_summary').execute()
  await db.schema.dropTable('safeguarding_concern_actions').execute()
  await db.schema.dropTable('safeguarding_concerns').execute()
  await sql`drop function safeguarding_records_append_only()`.execute(db)
}
