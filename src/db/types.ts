import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type Json<T> = ColumnType<T, string | T, string | T>

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
  kind: string
  description: string | null
  active: Generated<boolean>
  rules: Json<unknown>
  version: Generated<number>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface ReferralsTable {
  id: Generated<string>
  organisation_id: string
  programme_id: string
  reference: string
  status: string
  created_by: string
  young_person: Json<unknown>
  referrer: Json<unknown>
  needs: Json<unknown>
  risks: Json<unknown>
  preferences: Json<unknown>
  consent: Json<unknown>
  other_services: Json<unknown>
  screening: Json<unknown>
  referrer_key: string
  education_setting_key: string | null
  team_key: string | null
  funded_place: Generated<boolean>
  information_request: Json<unknown> | null
  decline: Json<unknown> | null
  withdrawal: Json<unknown> | null
  accepted_at: Date | null
  matched_at: Date | null
  closed_at: Date | null
  version: Generated<number>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface ReferralStatusHistoryTable {
  id: Generated<string>
  referral_id: string
  from_status: string | null
  to_status: string
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
  response_body: Json<unknown> | null
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
  status: Generated<string>
  attempts: Generated<number>
  last_error: string | null
  provider: string | null
  provider_message_id: string | null
  enqueued_at: Date | null
  sent_at: Date | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface UsersTable {
  id: Generated<string>
  organisation_id: string
  email: string
  name: string
  roles: string[]
  subject: string | null
  active: Generated<boolean>
  version: Generated<number>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface DB {
  users: UsersTable
  organisations: OrganisationsTable
  reference_counters: ReferenceCountersTable
  programmes: ProgrammesTable
  referrals: ReferralsTable
  referral_status_history: ReferralStatusHistoryTable
  idempotency_keys: IdempotencyKeysTable
  notifications: NotificationsTable
}

export type OrganisationRow = Selectable<OrganisationsTable>
export type ProgrammeRow = Selectable<ProgrammesTable>
export type ReferralRow = Selectable<ReferralsTable>
export type NewReferral = Insertable<ReferralsTable>
export type ReferralUpdate = Updateable<ReferralsTable>
export type UserRow = Selectable<UsersTable>
export type NotificationRow = Selectable<NotificationsTable>
export type NewNotification = Insertable<NotificationsTable>
