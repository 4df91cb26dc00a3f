import { sql, type Kysely } from 'kysely'

/**
 * Data protection: each organisation's retention schedule, legal holds, subject access and erasure
 * requests, and the marks the retention job leaves on what it has anonymised.
 */
export async function up (db: Kysely<any>): Promise<void> {
  // Months per retention class that the organisation changed; the others keep their defaults.
  await db.schema.createTable('retention_schedules')
    .addColumn('organisation_id', 'uuid', (c) => c.primaryKey().references('organisations.id').onDelete('cascade'))
    .addColumn('classes', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`date_trunc('milliseconds', now())`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()

  // A hold on a referral (the young person's record) or a mentor: neither retention nor erasure touches it.
  await db.schema.createTable('legal_holds')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
    .addColumn('referral_id', 'uuid', (c) => c.references('referrals.id'))
    .addColumn('mentor_id', 'uuid', (c) => c.references('mentors.id'))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('placed_by', 'text', (c) => c.notNull())
    .addColumn('released_at', 'timestamptz')
    .addColumn('released_by', 'text')
    .addColumn('release_reason', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`date_trunc('milliseconds', now())`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('legal_holds_one_subject_check', sql`(referral_id is null) <> (mentor_id is null)`)
    .execute()
  await sql`create unique index legal_holds_referral_key on legal_holds (referral_id) where released_at is null and referral_id is not null`.execute(db)
  await sql`create unique index legal_holds_mentor_key on legal_holds (mentor_id) where released_at is null and mentor_id is not null`.execute(db)

  await db.schema.createTable('subject_access_requests')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
    .addColumn('subject', 'jsonb', (c) => c.notNull())
    .addColumn('referral_ids', sql`uuid[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('mentor_ids', sql`uuid[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('received_on', 'date', (c) => c.notNull())
    .addColumn('due_on', 'date', (c) => c.notNull())
    .addColumn('extended_months', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('extensions', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('requester', 'jsonb', (c) => c.notNull())
    .addColumn('identity_verified', 'boolean', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open'))
    .addColumn('sent_on', 'date')
    .addColumn('completed_by', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`date_trunc('milliseconds', now())`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('subject_access_requests_status_check', sql`status in ('open','completed')`)
    .addCheckConstraint('subject_access_requests_extension_check', sql`extended_months between 0 and 2`)
    .execute()
  // What is due first, per status.
  await sql`create index subject_access_requests_due_idx on subject_access_requests (organisation_id, status, due_on, id)`.execute(db)
  await sql`create index subject_access_requests_all_due_idx on subject_access_requests (organisation_id, due_on, id)`.execute(db)

  await db.schema.createTable('erasure_requests')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
    .addColumn('subject', 'jsonb', (c) => c.notNull())
    .addColumn('referral_ids', sql`uuid[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('mentor_ids', sql`uuid[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending_approval'))
    .addColumn('erasable', 'jsonb', (c) => c.notNull())
    .addColumn('retained', 'jsonb', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('approved_by', 'text')
    .addColumn('approved_at', 'timestamptz')
    .addColumn('counts', 'jsonb')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`date_trunc('milliseconds', now())`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('erasure_requests_status_check', sql`status in ('pending_approval','completed')`)
    .execute()
  await sql`create index erasure_requests_org_created_idx on erasure_requests (organisation_id, created_at desc, id desc)`.execute(db)

  // When a record's personal data was replaced; the retention job walks what is not yet.
  for (const table of ['referrals', 'mentors', 'notifications', 'safeguarding_concerns']) {
    await db.schema.alterTable(table).addColumn('anonymised_at', 'timestamptz').execute()
  }
  await sql`create index referrals_retention_idx on referrals (organisation_id, id)
    where anonymised_at is null and status in ('declined','withdrawn','closed')`.execute(db)
  await sql`create index mentors_retention_idx on mentors (organisation_id, id) where anonymised_at is null and status = 'withdrawn'`.execute(db)
  await sql`create index notifications_retention_idx on notifications (organisation_id, created_at, id) where anonymised_at is null`.execute(db)
  await sql`create index safeguarding_concerns_retention_idx on safeguarding_concerns (organisation_id, created_at, id) where anonymised_at is null`.execute(db)
  // Idempotency keys go after a day.
  await sql`create index idempotency_keys_created_idx on idempotency_keys (created_at)`.execute(db)

  // Safeguarding records stay append-only, but for the anonymisation that their retention period
  // or an erasure calls for: a transaction that sets waymark.anonymising may replace their text.
  await sql`
    create or replace function safeguarding_records_append_only() returns trigger language plpgsql as $$
    begin
      if tg_op = 'UPDATE' and current_setting('waymark.anonymising', true) = 'on' then
        return new;
      end if;
      raise exception 'safeguarding records cannot be changed or deleted' using errcode = '42501';
    end $$`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`
    create or replace function safeguarding_records_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'safeguarding records cannot be changed or deleted' using errcode = '42501';
    end $$`.execute(db)
  await sql`drop index idempotency_keys_created_idx`.execute(db)
  for (const table of ['referrals', 'mentors', 'notifications', 'safeguarding_concerns']) {
    await db.schema.alterTable(table).dropColumn('anonymised_at').execute()
  }
  await db.schema.dropTable('erasure_requests').execute()
  await db.schema.dropTable('subject_access_requests').execute()
  await db.schema.dropTable('legal_holds').execute()
  await db.schema.dropTable('retention_schedules').execute()
}
