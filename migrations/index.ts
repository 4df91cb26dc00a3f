import type { Migration } from 'kysely/migration'
import * as m0001 from './0001_create_organisations.js'
import * as m0002 from './0002_create_referrals.js'
import * as m0003 from './0003_create_notifications.js'
import * as m0004 from './0004_create_users.js'
import * as m0005 from './0005_create_mentors.js'
import * as m0006 from './0006_create_mentor_vetting.js'
import * as m0007 from './0007_create_job_runs.js'
import * as m0010 from './0010_create_matches.js'
import * as m0011 from './0011_create_postcode_locations.js'
import * as m0012 from './0012_create_matching_plans.js'
import * as m0013 from './0013_create_match_sessions.js'
import * as m0014 from './0014_create_safeguarding_concerns.js'
import * as m0015 from './0015_create_evaluations.js'
import * as m0020 from './0020_alter_created_at_milliseconds.js'
import * as m0021 from './0021_create_matching_indexes.js'
import * as m0030 from './0030_create_audit_events.js'
import * as m0040 from './0040_create_data_protection.js'
import * as m0041 from './0041_create_subject_lookup_indexes.js'
import * as m0042 from './0042_alter_subject_lookup_index_name.js'
import * as m0050 from './0050_create_bank_holidays.js'
import * as m0051 from './0051_alter_safeguarding_concerns_workflow.js'
import * as m0052 from './0052_alter_safeguarding_concern_guard.js'
import * as m0060 from './0060_create_webhooks.js'
import * as m0061 from './0061_alter_mentors_announced_cleared.js'
import * as m0080 from './0080_create_operations_indexes.js'
import * as m0081 from './0081_alter_notifications_retried.js'
import * as m0090 from './0090_alter_matches_closure_evaluation.js'
import * as m0091 from './0091_create_referral_links.js'
import * as m0092 from './0092_alter_referrals_duplicates_flag.js'
import * as m0102 from './0102_create_webhook_deliveries_created_index.js'
import * as m0140 from './0140_create_webhook_events_created_index.js'
import * as m0141 from './0141_alter_audit_events_time_ordered.js'
import * as m0142 from './0142_alter_time_ordered_uuid_faster.js'
import * as m0143 from './0143_alter_referrals_rendering.js'
import * as m0144 from './0144_alter_referrals_rendering_inline.js'

/**
 * Every migration, by name, in the order they apply. Imported, not read from the folder, so the
 * production bundle carries them. A new migration file is added here too; a test fails otherwise.
 */
export const migrations: Record<string, Migration> = {
  '0001_create_organisations': m0001,
  '0002_create_referrals': m0002,
  '0003_create_notifications': m0003,
  '0004_create_users': m0004,
  '0005_create_mentors': m0005,
  '0006_create_mentor_vetting': m0006,
  '0007_create_job_runs': m0007,
  '0010_create_matches': m0010,
  '0011_create_postcode_locations': m0011,
  '0012_create_matching_plans': m0012,
  '0013_create_match_sessions': m0013,
  '0014_create_safeguarding_concerns': m0014,
  '0015_create_evaluations': m0015,
  '0020_alter_created_at_milliseconds': m0020,
  '0021_create_matching_indexes': m0021,
  '0030_create_audit_events': m0030,
  '0040_create_data_protection': m0040,
  '0041_create_subject_lookup_indexes': m0041,
  '0042_alter_subject_lookup_index_name': m0042,
  '0050_create_bank_holidays': m0050,
  '0051_alter_safeguarding_concerns_workflow': m0051,
  '0052_alter_safeguarding_concern_guard': m0052,
  '0060_create_webhooks': m0060,
  '0061_alter_mentors_announced_cleared': m0061,
  '0080_create_operations_indexes': m0080,
  '0081_alter_notifications_retried': m0081,
  '0090_alter_matches_closure_evaluation': m0090,
  '0091_create_referral_links': m0091,
  '0092_alter_referrals_duplicates_flag': m0092,
  '0102_create_webhook_deliveries_created_index': m0102,
  '0140_create_webhook_events_created_index': m0140,
  '0141_alter_audit_events_time_ordered': m0141,
  '0142_alter_time_ordered_uuid_faster': m0142,
  '0143_alter_referrals_rendering': m0143,
  '0144_alter_referrals_rendering_inline': m0144
}
