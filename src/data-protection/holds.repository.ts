import { sql } from 'kysely'
import type { Executor } from '../db/database.js'
import type { LegalHoldRow } from '../db/types.js'

export type HoldTarget = { referral_id: string } | { mentor_id: string }

const column = (t: HoldTarget): 'referral_id' | 'mentor_id' => ('referral_id' in t ? 'referral_id' : 'mentor_id')
const value = (t: HoldTarget): string => ('referral_id' in t ? t.referral_id : t.mentor_id)

/** Whether the referral or the mentor a hold names is one of the organisation's. */
export async function targetExists(db: Executor, org: string, target: HoldTarget): Promise<boolean> {
  const row = await db
    .selectFrom('referral_id' in target ? 'referrals' : 'mentors')
    .select('id')
    .where('id', '=', value(target))
    .where('organisation_id', '=', org)
    .executeTakeFirst()
  return row !== undefined
}

/** Places a hold; undefined when one is already in place (the partial unique index decides). */
export async function placeHold(
  db: Executor,
  org: string,
  target: HoldTarget,
  reason: string,
  by: string
): Promise<LegalHoldRow | undefined> {
  return await db
    .insertInto('legal_holds')
    .values({ organisation_id: org, ...target, reason, placed_by: by })
    .onConflict((oc) =>
      oc.column(column(target)).where('released_at', 'is', null).where(column(target), 'is not', null).doNothing()
    )
    .returningAll()
    .executeTakeFirst()
}

export async function releaseHold(
  db: Executor,
  org: string,
  target: HoldTarget,
  reason: string | null,
  by: string
): Promise<LegalHoldRow | undefined> {
  return await db
    .updateTable('legal_holds')
    .set({ released_at: sql`now()`, released_by: by, release_reason: reason, updated_at: sql`now()` })
    .where('organisation_id', '=', org)
    .where(column(target), '=', value(target))
    .where('released_at', 'is', null)
    .returningAll()
    .executeTakeFirst()
}

export async function activeHolds(
  db: Executor,
  org: string,
  referralIds: string[],
  mentorIds: string[]
): Promise<LegalHoldRow[]> {
  if (referralIds.length === 0 && mentorIds.length === 0) return []
  return await db
    .selectFrom('legal_holds')
    .selectAll()
    .where('organisation_id', '=', org)
    .where('released_at', 'is', null)
    .where((eb) =>
      eb.or([
        ...(referralIds.length > 0 ? [eb('referral_id', 'in', referralIds)] : []),
        ...(mentorIds.length > 0 ? [eb('mentor_id', 'in', mentorIds)] : [])
      ])
    )
    .execute()
}
