/**
 * The database as Kysely sees it. Conventions:
 * - Instants (`timestamptz`) are `Date` in rows: pg parses them, Kysely writes a `Date` (or a SQL
 *   expression such as `now()`). Calendar dates (`date`) are 'YYYY-MM-DD' strings, never `Date` (the
 *   parser in database.ts): a date of birth has no time zone. Rows become API shapes in one place,
 *   src/lib/wire.ts (`wire`, `iso`, `isoOrNull`), which writes instants as `toISOString` does; the
 *   referral rendered by PostgreSQL (referrals.repository.ts) writes them the same way.
 * - Columns a CHECK constraint limits to a list (statuses, vetting outcomes) carry that list's type.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'
import type { Static } from 'typebox'
import type {
  AvailabilitySlotSchema,
  DBS_LEVELS,
  DBS_OUTCOMES,
  DBS_WORKFORCES,
  DbsCheckSchema,
  INTERVIEW_OUTCOMES,
  MentorStatus,
  ProfessionalBackgroundSchema,
  TRAINING_KINDS
} from '../schemas/mentors.js'
import type { Agreements, Goal, GOAL_STATUSES, Introduction, LOCATION_TYPES, MatchStatus } from '../schemas/matches.js'
import type { Plan } from '../schemas/matching.js'
import type { RecordRef, RetainedRecord, Subject, SubjectAccessRequest } from '../schemas/data-protection.js'
import type {
  CONCERN_CATEGORIES,
  CONCERN_KINDS,
  OUTCOMES,
  RETENTION_CLASSES
} from '../schemas/safeguarding-concerns.js'
import type { User } from '../schemas/users.js'
import type { AuditAction, AuditOutcome, AuditResourceType } from '../schemas/audit-events.js'
import type {
  ConsentSchema,
  NeedsSchema,
  PreferencesSchema,
  Referral,
  ReferralStatus,
  ReferrerSchema,
  RisksSchema,
  Screening,
  YoungPersonSchema
} from '../schemas/referrals.js'
import type { ProgrammeRules, PROGRAMME_KINDS } from '../schemas/programmes.js'
import type { JsonText } from './json.js'

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
/**
 * A jsonb column holding a `T`: read as `T`, written as `jsonOf(value)` (src/db/json.ts), the value's
 * JSON text carrying its type, so that writing the wrong shape fails the type check.
 */
type Json<T> = ColumnType<T, JsonText<T>, JsonText<T>>

export interface OrganisationsTable {
  id: Generated<string>
  name: string
  code: string
  created_at: Timestamp
  updated_at: Timestamp
}

export interface ReferenceCountersTable {
  organisation_id: string
  year: number
  last_value: number
}

export interface ProgrammesTable {
  id: Generated<string>
  organisation_id: string
  name: string
  kind: (typeof PROGRAMME_KINDS)[number]
  description: string | null
  active: Generated<boolean>
  rules: Json<ProgrammeRules>
  version: Generated<number>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface ReferralsTable {
  id: Generated<string>
  organisation_id: string
  programme_id: string
  reference: string
  status: ReferralStatus
  created_by: string
  young_person: Json<Static<typeof YoungPersonSchema>>
  referrer: Json<Static<typeof ReferrerSchema>>
  needs: Json<Static<typeof NeedsSchema>>
  risks: Json<Static<typeof RisksSchema>>
  preferences: Json<Static<typeof PreferencesSchema>>
  consent: Json<Static<typeof ConsentSchema>>
  other_services: Json<string[]>
  screening: Json<Screening>
  referrer_key: string
  education_setting_key: string | null
  team_key: string | null
  funded_place: Generated<boolean>
  information_request: Json<NonNullable<Referral['information_request']>> | null
  decline: Json<NonNullable<Referral['decline']>> | null
  withdrawal: Json<NonNullable<Referral['withdrawal']>> | null
  accepted_at: Date | null
  matched_at: Date | null
  closed_at: Date | null
  /** What a referrer may see of the current match: `{status, mentor_first_name}`. */
  match_summary: Json<NonNullable<Referral['match']>> | null
  /** Shared by referrals a coordinator linked as one young person; null when linked to none. */
  young_person_id: string | null
  /** Given and family name normalised, in alphabetical order (duplicate detection). */
  name_key: string | null
  /** Whether any possible duplicate is recorded for it (in `referral_duplicates`). */
  has_possible_duplicates: Generated<boolean>
  version: Generated<number>
  anonymised_at: Generated<Date | null>
  created_at: Timestamp
  updated_at: Timestamp
  /**
   * The `Referral` response as JSON text (casework fields aside), written by a trigger whenever a
   * column it shows is written (migration 0143); null for a row not written since. Never set here.
   */
  rendering: ColumnType<string | null, never, never>
}

export interface ReferralStatusHistoryTable {
  id: Generated<string>
  referral_id: string
  from_status: ReferralStatus | null
  to_status: ReferralStatus
  actor_id: string
  actor_role: string
  reason: string | null
  created_at: Timestamp
}

export interface IdempotencyKeysTable {
  organisation_id: string
  caller_id: string
  key: string
  operation: string
  request_hash: string
  response_status: number | null
  /** The response the first request got: an object, as sent. */
  response_body: Json<object> | null
  created_at: Timestamp
}

export interface NotificationsTable {
  id: Generated<string>
  organisation_id: string
  dedupe_key: string
  kind: string
  channel: Generated<string>
  recipient: string
  subject: string
  body: string
  subject_type: string | null
  subject_id: string | null
  status: Generated<'pending' | 'sent' | 'failed'>
  attempts: Generated<number>
  last_error: string | null
  provider: string | null
  provider_message_id: string | null
  enqueued_at: Date | null
  sent_at: Date | null
  anonymised_at: Generated<Date | null>
  /** When an operator sent it again after it failed, and who (once at most). */
  retried_at: Generated<Date | null>
  retried_by: Generated<string | null>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface UsersTable {
  id: Generated<string>
  organisation_id: string
  email: string
  name: string
  roles: User['roles']
  subject: string | null
  active: Generated<boolean>
  safeguarding_lead: Generated<boolean>
  version: Generated<number>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface MentorsTable {
  id: Generated<string>
  organisation_id: string
  status: MentorStatus
  given_name: string
  family_name: string
  email: string
  phone: string | null
  gender: string
  cultural_heritage: string | null
  languages: Json<string[]>
  interests: Json<string[]>
  skills: Json<string[]>
  experience_areas: Json<string[]>
  experience_summary: string | null
  postcode: string
  latitude: number | null
  longitude: number | null
  availability: Json<Array<Static<typeof AvailabilitySlotSchema>>>
  delivery_modes: Json<string[]>
  capacity: Generated<number>
  professional_background: Json<Static<typeof ProfessionalBackgroundSchema> | null> | null
  works_in_care_system: Generated<boolean>
  subject: string | null
  approved_at: Date | null
  announced_cleared: boolean | null
  version: Generated<number>
  anonymised_at: Generated<Date | null>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface MentorProgrammesTable {
  mentor_id: string
  programme_id: string
  created_at: Timestamp
}

export interface MentorStatusHistoryTable {
  id: Generated<string>
  mentor_id: string
  from_status: MentorStatus | null
  to_status: MentorStatus
  actor_id: string
  actor_role: string
  reason: string | null
  created_at: Timestamp
}

export interface MentorInterviewsTable {
  id: Generated<string>
  mentor_id: string
  held_on: string
  interviewer: string
  outcome: (typeof INTERVIEW_OUTCOMES)[number]
  notes: string | null
  recorded_by: string
  created_at: Timestamp
}

export interface MentorReferencesTable {
  id: Generated<string>
  mentor_id: string
  referee_name: string
  relationship: string
  requested_on: string
  received_on: string | null
  satisfactory: boolean | null
  recorded_by: string
  created_at: Timestamp
}

export interface MentorDbsChecksTable {
  id: Generated<string>
  mentor_id: string
  level: (typeof DBS_LEVELS)[number]
  workforce: (typeof DBS_WORKFORCES)[number]
  certificate_number: string
  issued_on: string
  update_service_subscribed: Generated<boolean>
  update_service_subscription_id: string | null
  outcome: (typeof DBS_OUTCOMES)[number]
  risk_decision: Json<Static<typeof DbsCheckSchema>['risk_decision']> | null
  renewal_in_progress: Generated<boolean>
  recorded_by: string
  created_at: Timestamp
}

export interface MentorDbsStatusChecksTable {
  id: Generated<string>
  dbs_check_id: string
  checked_on: string
  result: 'no_change' | 'changed'
  recorded_by: string
  created_at: Timestamp
}

export interface MentorTrainingsTable {
  id: Generated<string>
  mentor_id: string
  kind: (typeof TRAINING_KINDS)[number]
  title: string | null
  completed_on: string
  hours: number
  provider: string
  recorded_by: string
  created_at: Timestamp
}

export interface JobRunsTable {
  id: Generated<string>
  organisation_id: string | null
  name: string
  status: Generated<string>
  as_of: string
  /** The instant a run judges, for jobs that judge one (safeguarding deadlines); null: the day's run time. */
  as_of_instant: Date | null
  trigger: string
  requested_by: string | null
  counts: Json<Record<string, number>>
  error: string | null
  attempts: Generated<number>
  started_at: Date | null
  finished_at: Date | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface MatchesTable {
  id: Generated<string>
  organisation_id: string
  referral_id: string
  mentor_id: string
  programme_id: string
  status: MatchStatus
  introduction: Json<Introduction>
  agreements: Json<Agreements> | null
  started_on: string | null
  paused_at: string | null
  closed_on: string | null
  close_reason_code: string | null
  close_note: string | null
  flagged_at: Date | null
  flag_reason: string | null
  /** Closed for a rematch before the relationship took hold: no closure evaluation is owed. */
  closure_evaluation_waived: Generated<boolean>
  created_by: string
  version: Generated<number>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface MatchStatusHistoryTable {
  id: Generated<string>
  match_id: string
  from_status: MatchStatus | null
  to_status: MatchStatus
  on_date: string
  actor_id: string
  actor_role: string
  reason: string | null
  created_at: Timestamp
}

export interface PostcodeLocationsTable {
  postcode: string
  found: boolean
  latitude: number | null
  longitude: number | null
  source: string
  fetched_at: Timestamp
}

export interface MatchingPlansTable {
  id: Generated<string>
  organisation_id: string
  programme_id: string
  as_of: string
  pairs: Json<Array<Omit<Plan['pairs'][number], 'state' | 'match_id'>>>
  unmatched: Json<Plan['unmatched']>
  summary: Json<Plan['summary']>
  created_by: string
  created_at: Timestamp
  updated_at: Timestamp
}

export interface MatchSessionsTable {
  id: Generated<string>
  organisation_id: string
  match_id: string
  held_on: string
  duration_minutes: number
  location_type: (typeof LOCATION_TYPES)[number]
  attended: boolean
  notes: string | null
  recorded_by: string
  recorded_role: string
  created_at: Timestamp
  updated_at: Timestamp
}

export interface MatchGoalsTable {
  id: Generated<string>
  organisation_id: string
  match_id: string
  title: string
  description: string | null
  target_date: string | null
  status: Generated<(typeof GOAL_STATUSES)[number]>
  progress: Generated<number>
  progress_notes: Json<Goal['progress_notes']>
  created_by: string
  version: Generated<number>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface SafeguardingConcernsTable {
  id: Generated<string>
  organisation_id: string
  referral_id: string
  match_id: string | null
  category: (typeof CONCERN_CATEGORIES)[number]
  description: string
  occurred_on: string | null
  immediate_risk: boolean
  raised_by: string
  raised_role: string
  anonymised_at: Generated<Date | null>
  kind: Generated<(typeof CONCERN_KINDS)[number]>
  raised_at: Generated<Date>
  mentor_id: string | null
  acknowledgement_due_at: Date | null
  acknowledged_at: Date | null
  acknowledged_by: string | null
  acknowledged_role: string | null
  acknowledgement_escalated_at: Date | null
  lado_due_at: Date | null
  lado_referred_on: string | null
  lado_reference: string | null
  lado_recorded_by: string | null
  lado_recorded_at: Date | null
  lado_escalated_at: Date | null
  outcome: (typeof OUTCOMES)[number] | null
  outcome_note: string | null
  outcome_by: string | null
  outcome_at: Date | null
  retention_class: (typeof RETENTION_CLASSES)[number] | null
  mentor_suspended: Generated<boolean>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface BankHolidaysTable {
  region: string
  date: string
  name: string
}

export interface SafeguardingConcernActionsTable {
  id: Generated<string>
  concern_id: string
  action: string
  outcome: string | null
  actor_id: string
  actor_role: string
  created_at: Timestamp
}

export interface EvaluationsTable {
  id: Generated<string>
  organisation_id: string
  match_id: string
  programme_id: string
  kind: string
  sequence: number
  due_on: string
  status: Generated<string>
  held_on: string | null
  completed_on: string | null
  recorded_by: string | null
  recorded_role: string | null
  cancelled_on: string | null
  reminded_threshold: string | null
  version: Generated<number>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface EvaluationResponsesTable {
  id: Generated<string>
  evaluation_id: string
  organisation_id: string
  programme_id: string
  held_on: string
  respondent: string
  has_trusted_adult: number | null
  feels_listened_to: number | null
  confidence: number | null
  education_engagement: number | null
  goal_progress: number | null
  comments: string | null
  created_at: Timestamp
}

export interface ReferralDuplicatesTable {
  organisation_id: string
  referral_id: string
  duplicate_id: string
  basis: string
  created_at: Timestamp
}

export interface ReferralLinksTable {
  id: Generated<string>
  organisation_id: string
  referral_id: string
  linked_referral_id: string
  young_person_id: string
  actor_id: string
  actor_role: string
  created_at: Timestamp
}

export interface RetentionSchedulesTable {
  organisation_id: string
  classes: Json<Record<string, number>>
  updated_by: string
  version: Generated<number>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface LegalHoldsTable {
  id: Generated<string>
  organisation_id: string
  referral_id: string | null
  mentor_id: string | null
  reason: string
  placed_by: string
  released_at: Date | null
  released_by: string | null
  release_reason: string | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface SubjectAccessRequestsTable {
  id: Generated<string>
  organisation_id: string
  subject: Json<Subject>
  referral_ids: string[]
  mentor_ids: string[]
  received_on: string
  due_on: string
  extended_months: Generated<number>
  extensions: Json<SubjectAccessRequest['extensions']>
  requester: Json<SubjectAccessRequest['requester']>
  identity_verified: boolean
  status: Generated<string>
  sent_on: string | null
  completed_by: string | null
  created_by: string
  version: Generated<number>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface ErasureRequestsTable {
  id: Generated<string>
  organisation_id: string
  subject: Json<Subject>
  referral_ids: string[]
  mentor_ids: string[]
  reason: string
  status: Generated<string>
  erasable: Json<RecordRef[]>
  retained: Json<RetainedRecord[]>
  requested_by: string
  approved_by: string | null
  approved_at: Date | null
  counts: Json<Record<string, number>> | null
  version: Generated<number>
  created_at: Timestamp
  updated_at: Timestamp
}

/** Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE. */
export interface AuditEventsTable {
  id: Generated<string>
  organisation_id: string
  at: Generated<Date>
  actor_id: string
  actor_role: string
  action: AuditAction
  resource_type: AuditResourceType
  resource_id: string
  referral_id: string | null
  mentor_id: string | null
  purpose: string | null
  outcome: Generated<AuditOutcome>
  request_id: string
}

export interface DB {
  users: UsersTable
  organisations: OrganisationsTable
  reference_counters: ReferenceCountersTable
  programmes: ProgrammesTable
  referrals: ReferralsTable
  referral_duplicates: ReferralDuplicatesTable
  referral_links: ReferralLinksTable
  referral_status_history: ReferralStatusHistoryTable
  idempotency_keys: IdempotencyKeysTable
  notifications: NotificationsTable
  mentors: MentorsTable
  mentor_programmes: MentorProgrammesTable
  mentor_status_history: MentorStatusHistoryTable
  mentor_interviews: MentorInterviewsTable
  mentor_references: MentorReferencesTable
  mentor_dbs_checks: MentorDbsChecksTable
  mentor_dbs_status_checks: MentorDbsStatusChecksTable
  mentor_trainings: MentorTrainingsTable
  job_runs: JobRunsTable
  matches: MatchesTable
  match_status_history: MatchStatusHistoryTable
  postcode_locations: PostcodeLocationsTable
  matching_plans: MatchingPlansTable
  match_sessions: MatchSessionsTable
  match_goals: MatchGoalsTable
  safeguarding_concerns: SafeguardingConcernsTable
  safeguarding_concern_actions: SafeguardingConcernActionsTable
  bank_holidays: BankHolidaysTable
  evaluations: EvaluationsTable
  evaluation_responses: EvaluationResponsesTable
  retention_schedules: RetentionSchedulesTable
  legal_holds: LegalHoldsTable
  subject_access_requests: SubjectAccessRequestsTable
  erasure_requests: ErasureRequestsTable
  audit_events: AuditEventsTable
  webhook_endpoints: WebhookEndpointsTable
  webhook_events: WebhookEventsTable
  webhook_deliveries: WebhookDeliveriesTable
}

export interface WebhookEndpointsTable {
  id: Generated<string>
  organisation_id: string
  url: string
  description: string | null
  events: string[]
  enabled: Generated<boolean>
  disabled_reason: string | null
  secret: string
  previous_secret: string | null
  previous_secret_expires_at: Date | null
  failing_since: Date | null
  created_by: string
  version: Generated<number>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface WebhookEventsTable {
  id: Generated<string>
  organisation_id: string
  type: string
  body: string
  created_at: Timestamp
}

export interface WebhookDeliveriesTable {
  id: Generated<string>
  organisation_id: string
  endpoint_id: string
  event_id: string
  status: Generated<string>
  attempt: Generated<number>
  response_status: number | null
  duration_ms: number | null
  last_error: string | null
  next_attempt_at: Date | null
  enqueued_at: Date | null
  succeeded_at: Date | null
  created_at: Timestamp
  updated_at: Timestamp
}

export type OrganisationRow = Selectable<OrganisationsTable>
export type ProgrammeRow = Selectable<ProgrammesTable>
/** A referral's columns, its stored rendering aside (reads of the representation use that alone). */
export type ReferralRow = Omit<Selectable<ReferralsTable>, 'rendering'>
export type NewReferral = Insertable<ReferralsTable>
export type ReferralUpdate = Updateable<ReferralsTable>
export type IdempotencyKeyRow = Selectable<IdempotencyKeysTable>
export type UserRow = Selectable<UsersTable>
export type NotificationRow = Selectable<NotificationsTable>
export type NewNotification = Insertable<NotificationsTable>
export type MentorRow = Selectable<MentorsTable>
export type NewMentor = Insertable<MentorsTable>
export type MentorUpdate = Updateable<MentorsTable>
export type JobRunRow = Selectable<JobRunsTable>
export type MatchRow = Selectable<MatchesTable>
export type MatchUpdate = Updateable<MatchesTable>
export type MatchingPlanRow = Selectable<MatchingPlansTable>
export type MatchSessionRow = Selectable<MatchSessionsTable>
export type MatchGoalRow = Selectable<MatchGoalsTable>
export type SafeguardingConcernRow = Selectable<SafeguardingConcernsTable>
export type EvaluationRow = Selectable<EvaluationsTable>
export type EvaluationResponseRow = Selectable<EvaluationResponsesTable>
export type LegalHoldRow = Selectable<LegalHoldsTable>
export type SubjectAccessRequestRow = Selectable<SubjectAccessRequestsTable>
export type ErasureRequestRow = Selectable<ErasureRequestsTable>
export type WebhookEndpointRow = Selectable<WebhookEndpointsTable>
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>
