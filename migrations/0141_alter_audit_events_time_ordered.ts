import { sql, type Kysely } from 'kysely'

/**
 * Access events are written on every read, so what each insert costs is what auditing costs: every
 * index is one more insertion per event. From six indexes to three for the events of a referral or
 * a mentor (the most written), about twice the events per second for a list page's fifty.
 *
 * - The primary key becomes the list order, (organisation_id, at, id): it was a second index on `id`
 *   beside it. Ids stay unique (random, and now time-ordered: the UUID version 7 layout, 48 bits of
 *   Unix milliseconds then random bits).
 * - Every index is ascending (PostgreSQL walks them backwards for `at desc, id desc` as fast): new
 *   events land on the rightmost leaf, where an insert takes the fast path and a full page splits
 *   90/10. Descending, every new event went to the leftmost leaf and each split left two half-empty
 *   pages.
 * - The referral, mentor and resource indexes are led by that id alone: ids are unique across
 *   organisations, so the organisation in front only widened every entry.
 * - The resource index leaves out the events whose resource is their referral or their mentor (a
 *   referral's or a mentor's own record: most events); those are found by the referral and mentor
 *   indexes, and a filter on resource_id asks all three (listEvents).
 */
export async function up (db: Kysely<any>): Promise<void> {
  // PostgreSQL 18's uuidv7(), for the servers before it.
  await sql`
    create or replace function time_ordered_uuid() returns uuid language sql volatile parallel safe as $$
      select encode(
        set_byte(
          overlay(uuid_send(gen_random_uuid())
            placing substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3) from 1 for 6),
          6, (get_byte(uuid_send(gen_random_uuid()), 6) & 15) | 112),
        'hex')::uuid
    $$`.execute(db)
  await sql`alter table audit_events alter column id set default time_ordered_uuid()`.execute(db)

  await sql`drop index if exists audit_events_org_at_idx`.execute(db)
  await sql`drop index if exists audit_events_referral_idx`.execute(db)
  await sql`drop index if exists audit_events_mentor_idx`.execute(db)
  await sql`drop index if exists audit_events_resource_idx`.execute(db)
  await sql`drop index if exists audit_events_actor_idx`.execute(db)
  await sql`alter table audit_events drop constraint audit_events_pkey`.execute(db)
  await sql`alter table audit_events add constraint audit_events_pkey primary key (organisation_id, at, id)`.execute(db)
  await sql`create index audit_events_referral_idx on audit_events (referral_id, at, id) where referral_id is not null`.execute(db)
  await sql`create index audit_events_mentor_idx on audit_events (mentor_id, at, id) where mentor_id is not null`.execute(db)
  await sql`create index audit_events_resource_idx on audit_events (resource_id, at, id)
    where resource_id is distinct from referral_id and resource_id is distinct from mentor_id`.execute(db)
  await sql`create index audit_events_actor_idx on audit_events (organisation_id, actor_id, at, id)`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop index if exists audit_events_referral_idx`.execute(db)
  await sql`drop index if exists audit_events_mentor_idx`.execute(db)
  await sql`drop index if exists audit_events_resource_idx`.execute(db)
  await sql`drop index if exists audit_events_actor_idx`.execute(db)
  await sql`alter table audit_events drop constraint audit_events_pkey`.execute(db)
  await sql`alter table audit_events add constraint audit_events_pkey primary key (id)`.execute(db)
  await sql`create index audit_events_org_at_idx on audit_events (organisation_id, at desc, id desc)`.execute(db)
  await sql`create index audit_events_referral_idx on audit_events (organisation_id, referral_id, at desc, id desc) where referral_id is not null`.execute(db)
  await sql`create index audit_events_mentor_idx on audit_events (organisation_id, mentor_id, at desc, id desc) where mentor_id is not null`.execute(db)
  await sql`create index audit_events_resource_idx on audit_events (organisation_id, resource_id, at desc, id desc)`.execute(db)
  await sql`create index audit_events_actor_idx on audit_events (organisation_id, actor_id, at desc, id desc)`.execute(db)
  await sql`alter table audit_events alter column id set default gen_random_uuid()`.execute(db)
  await sql`drop function if exists time_ordered_uuid()`.execute(db)
}
