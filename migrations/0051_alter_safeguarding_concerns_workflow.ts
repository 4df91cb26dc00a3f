import { sql, type Kysely } from 'kysely'

/**
 * The safeguarding workflow: a concern's kind, when it was raised (deadlines run from it), the mentor an
 * allegation is about, its deadlines and their escalations, acknowledgement, LADO referral and outcome
 * with the retention class it sets. Staff may be flagged safeguarding leads; a job run may judge an instant.
 *
 * A concern stays a record: what was reported never changes, and each workflow fact is written once.
 * Concerns recorded before this migration have no deadlines (none applied when they were raised).
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('safeguarding_lead', 'boolean', (c) => c.notNull().defaultTo(false)).execute()
  await db.schema.alterTable('job_runs').addColumn('as_of_instant', 'timestamptz').execute()

  await db.schema.alterTable('safeguarding_concerns')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('about_young_person'))
    .addColumn('raised_at', 'timestamptz')
    .addColumn('mentor_id', 'uuid', (c) => c.references('mentors.id'))
    .addColumn('acknowledgement_due_at', 'timestamptz')
    .addColumn('acknowledged_at', 'timestamptz')
    .addColumn('acknowledged_by', 'text')
    .addColumn('acknowledged_role', 'text')
    .addColumn('acknowledgement_escalated_at', 'timestamptz')
    .addColumn('lado_due_at', 'timestamptz')
    .addColumn('lado_referred_on', 'date')
    .addColumn('lado_reference', 'text')
    .addColumn('lado_recorded_by', 'text')
    .addColumn('lado_recorded_at', 'timestamptz')
    .addColumn('lado_escalated_at', 'timestamptz')
    .addColumn('outcome', 'text')
    .addColumn('outcome_note', 'text')
    .addColumn('outcome_by', 'text')
    .addColumn('outcome_at', 'timestamptz')
    .addColumn('retention_class', 'text')
    .addColumn('mentor_suspended', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute()

  await sql`drop trigger safeguarding_concerns_append_only on safeguarding_concerns`.execute(db)
  await sql`update safeguarding_concerns set raised_at = created_at`.execute(db)
  await sql`alter table safeguarding_concerns alter column raised_at set not null, alter column raised_at set default date_trunc('milliseconds', now())`.execute(db)
  await sql`alter table safeguarding_concerns add constraint safeguarding_concerns_kind_check
    check (kind in ('about_young_person', 'allegation_about_mentor', 'allegation_about_staff'))`.execute(db)
  await sql`alter table safeguarding_concerns add constraint safeguarding_concerns_outcome_check
    check (outcome is null or (outcome in ('substantiated', 'unsubstantiated', 'unfounded', 'malicious') and retention_class is not null and outcome_at is not null))`.execute(db)

  await sql`
    create function safeguarding_concern_guard() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' then
        raise exception 'safeguarding records cannot be changed or deleted' using errcode = '42501';
      end if;
      if (new.id, new.organisation_id, new.referral_id, new.match_id, new.category, new.description, new.occurred_on,
          new.immediate_risk, new.raised_by, new.raised_role, new.created_at, new.kind, new.raised_at, new.mentor_id,
          new.acknowledgement_due_at, new.lado_due_at, new.mentor_suspended)
         is distinct from
         (old.id, old.organisation_id, old.referral_id, old.match_id, old.category, old.description, old.occurred_on,
          old.immediate_risk, old.raised_by, old.raised_role, old.created_at, old.kind, old.raised_at, old.mentor_id,
          old.acknowledgement_due_at, old.lado_due_at, old.mentor_suspended)
         or (old.acknowledged_at is not null and (new.acknowledged_at, new.acknowledged_by, new.acknowledged_role) is distinct from (old.acknowledged_at, old.acknowledged_by, old.acknowledged_role))
         or (old.lado_recorded_at is not null and (new.lado_recorded_at, new.lado_referred_on, new.lado_reference, new.lado_recorded_by) is distinct from (old.lado_recorded_at, old.lado_referred_on, old.lado_reference, old.lado_recorded_by))
         or (old.outcome_at is not null and (new.outcome_at, new.outcome, new.outcome_note, new.outcome_by, new.retention_class) is distinct from (old.outcome_at, old.outcome, old.outcome_note, old.outcome_by, old.retention_class))
         or (old.acknowledgement_escalated_at is not null and new.acknowledgement_escalated_at is distinct from old.acknowledgement_escalated_at)
         or (old.lado_escalated_at is not null and new.lado_escalated_at is distinct from old.lado_escalated_at)
      then
        raise exception 'safeguarding records cannot be changed or deleted' using errcode = '42501';
      end if;
      return new;
    end $$`.execute(db)
  await sql`create trigger safeguarding_concerns_guard before update or delete on safeguarding_concerns
    for each row execute function safeguarding_concern_guard()`.execute(db)

  // The lead's queue and the deadline scan: what is still waiting, by deadline.
  await sql`create index safeguarding_concerns_ack_due_idx on safeguarding_concerns (acknowledgement_due_at)
    where acknowledged_at is null and outcome_at is null`.execute(db)
  await sql`create index safeguarding_concerns_lado_due_idx on safeguarding_concerns (lado_due_at)
    where lado_due_at is not null and lado_recorded_at is null and outcome_at is null`.execute(db)
  await sql`create index safeguarding_concerns_mentor_idx on safeguarding_concerns (mentor_id) where mentor_id is not null`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop trigger safeguarding_concerns_guard on safeguarding_concerns`.execute(db)
  await sql`drop function safeguarding_concern_guard()`.execute(db)
  await db.schema.alterTable('safeguarding_concerns')
    .dropConstraint('safeguarding_concerns_kind_check')
    .execute()
  await db.schema.alterTable('safeguarding_concerns').dropConstraint('safeguarding_concerns_outcome_check').execute()
  for (const column of ['kind', 'raised_at', 'mentor_id', 'acknowledgement_due_at', 'acknowledged_at', 'acknowledged_by', 'acknowledged_role',
    'acknowledgement_escalated_at', 'lado_due_at', 'lado_referred_on', 'lado_reference', 'lado_recorded_by', 'lado_recorded_at',
    'lado_escalated_at', 'outcome', 'outcome_note', 'outcome_by', 'outcome_at', 'retention_class', 'mentor_suspended']) {
    await db.schema.alterTable('safeguarding_concerns').dropColumn(column).execute()
  }
  await sql`create trigger safeguarding_concerns_append_only before update or delete on safeguarding_concerns
    for each row execute function safeguarding_records_append_only()`.execute(db)
  await db.schema.alterTable('job_runs').dropColumn('as_of_instant').execute()
  await db.schema.alterTable('users').dropColumn('safeguarding_lead').execute()
}
