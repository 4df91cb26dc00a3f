import { REFERRAL_COLUMNS } from '../referrals/referrals.repository.js'
import type { Executor } from '../db/database.js'
import type { MatchingPlanRow, ReferralRow } from '../db/types.js'
import type { JsonText } from '../db/json.js'

/** Referrals of a programme waiting for a match, longest wait first. */
export async function waitingReferrals(db: Executor, org: string, programmeId: string): Promise<ReferralRow[]> {
  return await db
    .selectFrom('referrals')
    .select(REFERRAL_COLUMNS)
    .where('organisation_id', '=', org)
    .where('programme_id', '=', programmeId)
    .where('status', '=', 'accepted')
    .orderBy('accepted_at')
    .orderBy('id')
    .execute()
}

export async function insertPlan(
  db: Executor,
  values: {
    organisation_id: string
    programme_id: string
    as_of: string
    pairs: JsonText<MatchingPlanRow['pairs']>
    unmatched: JsonText<MatchingPlanRow['unmatched']>
    summary: JsonText<MatchingPlanRow['summary']>
    created_by: string
  }
): Promise<MatchingPlanRow> {
  return await db.insertInto('matching_plans').values(values).returningAll().executeTakeFirstOrThrow()
}

export async function findPlan(db: Executor, org: string, id: string): Promise<MatchingPlanRow | undefined> {
  return await db
    .selectFrom('matching_plans')
    .selectAll()
    .where('organisation_id', '=', org)
    .where('id', '=', id)
    .executeTakeFirst()
}

/** Matches made for these referrals since the plan was drawn up, by referral. */
export async function matchesSince(
  db: Executor,
  org: string,
  referralIds: string[],
  since: Date
): Promise<Map<string, { id: string; mentor_id: string }>> {
  const out = new Map<string, { id: string; mentor_id: string }>()
  if (referralIds.length === 0) return out
  const rows = await db
    .selectFrom('matches')
    .select(['id', 'referral_id', 'mentor_id'])
    .where('organisation_id', '=', org)
    .where('referral_id', 'in', referralIds)
    .where('created_at', '>=', since)
    .orderBy('created_at')
    .execute()
  for (const r of rows) out.set(r.referral_id, { id: r.id, mentor_id: r.mentor_id })
  return out
}
