import { sql, type Kysely } from 'kysely'

/**
 * Access events: who read or changed a young person's or a mentor's record, when, and why. No foreign
 * keys: the trail outlives the records it names (anonymised or erased) and an insert takes no lock on
 * them. Append-only in the database itself.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('audit_events')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organisation_id', 'uuid', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`date_trunc('milliseconds', now())`))
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('actor_role', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'uuid', (c) => c.notNull())
    .addColumn('referral_id', 'uuid')
    .addColumn('mentor_id', 'uuid')
    .addColumn('purpose', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull().defaultTo('success'))
    .addColumn('request_id', 'text', (c) => c.notNull())
    .execute()
  // Lists walk (at desc, id desc) within the organisation, narrowed by the filters asked most.
  await sql`create index audit_events_org_at_idx on audit_events (organisation_id, at desc, id desc)`.execute(db)
  await sql`create index audit_events_referral_idx on audit_events (organisation_id, referral_id, at desc, id desc) where referral_id is not null`.execute(db)
  await sql`create index audit_events_mentor_idx on audit_events (organisation_id, mentor_id, at desc, id desc) where mentor_id is not null`.execute(db)
  await sql`create index audit_events_resource_idx on audit_events (organisation_id, resource_id, at desc, id desc)`.execute(db)
  await sql`create index audit_events_actor_idx on audit_events (organisation_id, actor_id, at desc, id desc)`.execute(db)

  await sql`
    create function audit_events_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit events cannot be changed or deleted' using errcode = '42501';
    end $$`.execute(db)
  await sql`create trigger audit_events_append_only before update or delete on audit_events
    for each row execute function audit_events_append_only()`.execute(db)
  await sql`create trigger audit_events_no_truncate before truncate on audit_events
    for each statement execute function audit_events_append_only()`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_events').execute()
  await sql`drop function audit_events_append_only()`.execute(db)
}
