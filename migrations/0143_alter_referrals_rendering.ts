import { sql, type Kysely } from 'kysely'

/**
 * A referral's API representation, rendered once when the referral is written rather than at every
 * read: reads outnumber writes many times over, and rendering (seven instants formatted, the row made
 * JSON) was a third of the database's time for a list page of fifty.
 *
 * - `rendering` holds the `Referral` response as JSON text (without the casework fields, added at
 *   read time), written by a trigger on every insert and on every update of a column it shows, so
 *   no write can leave it stale, the retention job's and an erasure's included.
 * - Rows written before this migration have none until their next change; reads render those on the
 *   fly exactly as before (`coalesce`), so nothing has to be rewritten now.
 * - The select list is the response schema's, field by field in its order (`referralRenderColumns`
 *   in src/referrals/referrals.repository.ts); a test fails when the two differ. A field added to
 *   the schema comes with a migration that replaces this function and sets `rendering` to null.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`alter table referrals add column if not exists rendering text`.execute(db)
  await sql`
    create or replace function referral_rendering() returns trigger language plpgsql as $$
    begin
      new.rendering := (
        select row_to_json(v)::text from (
          select new.id as id,
            new.reference as reference,
            new.programme_id as programme_id,
            new.status as status,
            new.young_person as young_person,
            new.referrer as referrer,
            new.needs as needs,
            new.risks as risks,
            new.preferences as preferences,
            new.consent as consent,
            new.other_services as other_services,
            new.screening as screening,
            new.funded_place as funded_place,
            new.information_request as information_request,
            new.decline as decline,
            new.withdrawal as withdrawal,
            to_char(new.accepted_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as accepted_at,
            to_char(new.matched_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as matched_at,
            to_char(new.closed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as closed_at,
            new.match_summary as match,
            to_char(new.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as submitted_at,
            to_char(new.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
            to_char(new.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as updated_at
        ) v);
      return new;
    end
    $$`.execute(db)
  await sql`drop trigger if exists referrals_rendering on referrals`.execute(db)
  await sql`
    create trigger referrals_rendering before insert or update of
      id, reference, programme_id, status, young_person, referrer, needs, risks, preferences, consent, other_services, screening, funded_place, information_request, decline, withdrawal, accepted_at, matched_at, closed_at, match_summary, created_at, updated_at
    on referrals for each row execute function referral_rendering()`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists referrals_rendering on referrals`.execute(db)
  await sql`drop function if exists referral_rendering()`.execute(db)
  await sql`alter table referrals drop column if exists rendering`.execute(db)
}
