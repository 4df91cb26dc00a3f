import { sql, type Kysely } from 'kysely'

/**
 * The concern guard of 0051 honours the anonymisation of 0040: a transaction that sets
 * waymark.anonymising may replace a concern's free text (its description, the outcome's note, the
 * LADO's reference) and stamp anonymised_at. Everything else stays as written, then as well.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    create or replace function safeguarding_concern_guard() returns trigger language plpgsql as $$
    declare
      anonymising boolean := tg_op = 'UPDATE' and coalesce(current_setting('waymark.anonymising', true), '') = 'on';
    begin
      if tg_op = 'DELETE' then
        raise exception 'safeguarding records cannot be changed or deleted' using errcode = '42501';
      end if;
      if (new.id, new.organisation_id, new.referral_id, new.match_id, new.category, new.occurred_on,
          new.immediate_risk, new.raised_by, new.raised_role, new.created_at, new.kind, new.raised_at, new.mentor_id,
          new.acknowledgement_due_at, new.lado_due_at, new.mentor_suspended)
         is distinct from
         (old.id, old.organisation_id, old.referral_id, old.match_id, old.category, old.occurred_on,
          old.immediate_risk, old.raised_by, old.raised_role, old.created_at, old.kind, old.raised_at, old.mentor_id,
          old.acknowledgement_due_at, old.lado_due_at, old.mentor_suspended)
         or (not anonymising and new.description is distinct from old.description)
         or (not anonymising and new.anonymised_at is distinct from old.anonymised_at)
         or (old.acknowledged_at is not null and (new.acknowledged_at, new.acknowledged_by, new.acknowledged_role) is distinct from (old.acknowledged_at, old.acknowledged_by, old.acknowledged_role))
         or (old.lado_recorded_at is not null and (new.lado_recorded_at, new.lado_referred_on, new.lado_recorded_by) is distinct from (old.lado_recorded_at, old.lado_referred_on, old.lado_recorded_by))
         or (old.lado_recorded_at is not null and not anonymising and new.lado_reference is distinct from old.lado_reference)
         or (old.outcome_at is not null and (new.outcome_at, new.outcome, new.outcome_by, new.retention_class) is distinct from (old.outcome_at, old.outcome, old.outcome_by, old.retention_class))
         or (old.outcome_at is not null and not anonymising and new.outcome_note is distinct from old.outcome_note)
         or (old.acknowledgement_escalated_at is not null and new.acknowledgement_escalated_at is distinct from old.acknowledgement_escalated_at)
         or (old.lado_escalated_at is not null and new.lado_escalated_at is distinct from old.lado_escalated_at)
      then
        raise exception 'safeguarding records cannot be changed or deleted' using errcode = '42501';
      end if;
      return new;
    end $$`.execute(db)
}

export async function down (): Promise<void> {
  // The function of 0051 is restored by 0051's own down, which drops it.
}
