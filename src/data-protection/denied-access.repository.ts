import { sql } from 'kysely'
import type { Database } from '../db/database.js'

/** Where the record is, whoever asks: its organisation and the young person and mentor it is about. */
export async function locate(
  db: Database,
  type: 'referral' | 'mentor' | 'match',
  id: string
): Promise<{ org: string; referral_id: string | null; mentor_id: string | null } | undefined> {
  const r = await sql<{ org: string; referral_id: string | null; mentor_id: string | null }>`${
    type === 'referral'
      ? sql`select organisation_id as org, id as referral_id, null::uuid as mentor_id from referrals where id = ${id}`
      : type === 'mentor'
        ? sql`select organisation_id as org, null::uuid as referral_id, id as mentor_id from mentors where id = ${id}`
        : sql`select organisation_id as org, referral_id, mentor_id from matches where id = ${id}`
  }`.execute(db)
  return r.rows[0]
}

/** Whether this caller was refused the same record a short while ago (that event stands for this one). */
export async function refusedLately(
  db: Database,
  org: string,
  resourceId: string,
  actorId: string,
  minutes: number
): Promise<boolean> {
  const r = await sql`select 1 from audit_events
    where organisation_id = ${org} and resource_id = ${resourceId} and actor_id = ${actorId} and outcome = 'denied'
      and at > now() - make_interval(mins => ${minutes})
    limit 1`.execute(db)
  return r.rows.length > 0
}
