import { sql } from 'kysely'
import type { Executor } from '../db/database.js'
import type { NewReferral, ReferralRow, ReferralUpdate } from '../db/types.js'
import type { Position } from '../lib/cursor.js'
import { OPEN_STATUSES } from '../schemas/referrals.js'

/** Who may see which referrals: the organisation, narrowed to the creator for a referrer. */
export interface ReferralScope { org: string, createdBy?: string }

export async function nextReference (db: Executor, organisationId: string, code: string, year: number): Promise<string> {
  const row = await db.insertInto('reference_counters')
    .values({ organisation_id: organisationId, year, last_value: 1 })
    .onConflict((oc) => oc.columns(['organisation_id', 'year']).doUpdateSet({ last_value: sql`reference_counters.last_value + 1` }))
    .returning('last_value')
    .executeTakeFirstOrThrow()
  return `${code}-${year}-${String(row.last_value).padStart(5, '0')}`
}

export async function insertReferral (db: Executor, row: NewReferral): Promise<ReferralRow> {
  return await db.insertInto('referrals').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function findReferral (db: Executor, scope: ReferralScope, id: string): Promise<ReferralRow | undefined> {
  let q = db.selectFrom('referrals').selectAll().where('id', '=', id).where('organisation_id', '=', scope.org)
  if (scope.createdBy !== undefined) q = q.where('created_by', '=', scope.createdBy)
  return await q.executeTakeFirst()
}

/** The referral, locked for a state change. */
export async function lockReferral (db: Executor, scope: ReferralScope, id: string): Promise<ReferralRow | undefined> {
  let q = db.selectFrom('referrals').selectAll().where('id', '=', id).where('organisation_id', '=', scope.org)
  if (scope.createdBy !== undefined) q = q.where('created_by', '=', scope.createdBy)
  return await q.forUpdate().executeTakeFirst()
}

export interface ReferralFilter {
  status?: string
  programme_id?: string
  submitted_from?: string
  submitted_to?: string
}

export async function listReferrals (db: Executor, scope: ReferralScope, filter: ReferralFilter, after: Position | null, limit: number): Promise<ReferralRow[]> {
  let q = db.selectFrom('referrals').selectAll().where('organisation_id', '=', scope.org)
  if (scope.createdBy !== undefined) q = q.where('created_by', '=', scope.createdBy)
  if (filter.status !== undefined) q = q.where('status', '=', filter.status)
  if (filter.programme_id !== undefined) q = q.where('programme_id', '=', filter.programme_id)
  if (filter.submitted_from !== undefined) q = q.where('created_at', '>=', sql<Date>`${filter.submitted_from}::date`)
  if (filter.submitted_to !== undefined) q = q.where('created_at', '<', sql<Date>`${filter.submitted_to}::date + 1`)
  if (after !== null) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.at, after.id)))
  return await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
}

export async function updateReferral (db: Executor, id: string, set: ReferralUpdate): Promise<ReferralRow> {
  return await db.updateTable('referrals')
    .set({ ...set, version: sql`version + 1`, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

export interface QuotaKeys { referrer_key: string, education_setting_key: string | null, team_key: string | null }

/** Open, unfunded referrals sharing each quota key in a programme, optionally leaving one out. */
export async function countOpen (db: Executor, programmeId: string, keys: QuotaKeys, excludeId?: string): Promise<{ referrer: number, setting: number, team: number }> {
  const open = sql.join(OPEN_STATUSES.map((s) => sql.lit(s)))
  const exclude = excludeId !== undefined ? sql`and id <> ${excludeId}` : sql``
  const row = await sql<{ referrer: number, setting: number, team: number }>`
    select
      (select count(*) from referrals where programme_id = ${programmeId} and referrer_key = ${keys.referrer_key}
         and status in (${open}) and not funded_place ${exclude})::int as referrer,
      (select count(*) from referrals where programme_id = ${programmeId} and education_setting_key = ${keys.education_setting_key}
         and status in (${open}) and not funded_place ${exclude})::int as setting,
      (select count(*) from referrals where programme_id = ${programmeId} and team_key = ${keys.team_key}
         and status in (${open}) and not funded_place ${exclude})::int as team`.execute(db)
  return row.rows[0]
}

/** Serialises quota decisions on the same keys: transaction-scoped advisory locks, in a fixed order. */
export async function lockQuotaKeys (db: Executor, programmeId: string, keys: QuotaKeys): Promise<void> {
  const names = [`r:${keys.referrer_key}`, keys.education_setting_key !== null ? `s:${keys.education_setting_key}` : null, keys.team_key !== null ? `t:${keys.team_key}` : null]
    .filter((k): k is string => k !== null)
    .map((k) => `${programmeId}:${k}`)
    .sort()
  for (const name of names) {
    await sql`select pg_advisory_xact_lock(hashtextextended(${name}, 0))`.execute(db)
  }
}

export interface HistoryInput {
  referral_id: string
  from_status: string | null
  to_status: string
  actor_id: string
  actor_role: string
  reason?: string | null
}

export async function insertHistory (db: Executor, entry: HistoryInput): Promise<void> {
  await db.insertInto('referral_status_history').values({ ...entry, reason: entry.reason ?? null }).execute()
}

export async function listHistory (db: Executor, referralId: string): Promise<Array<{ from_status: string | null, to_status: string, actor_id: string, actor_role: string, reason: string | null, at: Date }>> {
  return await db.selectFrom('referral_status_history')
    .select(['from_status', 'to_status', 'actor_id', 'actor_role', 'reason', 'created_at as at'])
    .where('referral_id', '=', referralId)
    .orderBy('id')
    .execute()
}
