import { sql, type Kysely } from 'kysely'

export async function up (db: Kysely<any>): Promise<void> {
  // The evaluations a match owes, materialised from its schedule; one row per (match, kind, sequence).
  await db.schema.createTable('evaluations')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
    .addColumn('match_id', 'uuid', (c) => c.notNull().references('matches.id').onDelete('cascade'))
    .addColumn('programme_id', 'uuid', (c) => c.notNull().references('programmes.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('sequence', 'integer', (c) => c.notNull())
    .addColumn('due_on', 'date', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('due'))
    .addColumn('held_on', 'date')
    .addColumn('completed_on', 'date')
    .addColumn('recorded_by', 'text')
    .addColumn('recorded_role', 'text')
    .addColumn('cancelled_on', 'date')
    // The last reminder threshold written to the outbox, so a daily run skips those already told.
    .addColumn('reminded_threshold', 'text')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('evaluations_match_kind_sequence_key', ['match_id', 'kind', 'sequence'])
    .addCheckConstraint('evaluations_kind_check', sql`kind in ('annual','early_review','closure')`)
    .addCheckConstraint('evaluations_status_check', sql`status in ('due','completed','cancelled')`)
    .addCheckConstraint('evaluations_sequence_check', sql`sequence >= 1`)
    .execute()
  // Lists: by due date within a status (due, overdue, completed), and per programme.
  await sql`create index evaluations_org_status_due_idx on evaluations (organisation_id, status, due_on, id)`.execute(db)
  await sql`create index evaluations_programme_due_idx on evaluations (programme_id, due_on)`.execute(db)
  // The reminders job walks the due ones by (due_on, id).
  await sql`create index evaluations_due_idx on evaluations (due_on, id) where status = 'due'`.execute(db)

  // One respondent's answers to an evaluation: five measures on fixed 1-5 scales and comments.
  await db.schema.createTable('evaluation_responses')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('evaluation_id', 'uuid', (c) => c.notNull().references('evaluations.id').onDelete('cascade'))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull())
    .addColumn('programme_id', 'uuid', (c) => c.notNull())
    .addColumn('held_on', 'date', (c) => c.notNull())
    .addColumn('respondent', 'text', (c) => c.notNull())
    .addColumn('has_trusted_adult', 'smallint')
    .addColumn('feels_listened_to', 'smallint')
    .addColumn('confidence', 'smallint')
    .addColumn('education_engagement', 'smallint')
    .addColumn('goal_progress', 'smallint')
    .addColumn('comments', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('evaluation_responses_respondent_key', ['evaluation_id', 'respondent'])
    .addCheckConstraint('evaluation_responses_respondent_check', sql`respondent in ('young_person','mentor','referrer','parent_carer')`)
    .addCheckConstraint('evaluation_responses_scale_check', sql`
      coalesce(has_trusted_adult, 1) between 1 and 5 and coalesce(feels_listened_to, 1) between 1 and 5 and
      coalesce(confidence, 1) between 1 and 5 and coalesce(education_engagement, 1) between 1 and 5 and
      coalesce(goal_progress, 1) between 1 and 5`)
    .execute()
  // Outcome distributions per programme over a period of held dates.
  await sql`create index evaluation_responses_programme_held_idx on evaluation_responses (programme_id, held_on)`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('evaluation_responses').execute()
  await db.schema.dropTable('evaluations').execute()
}
