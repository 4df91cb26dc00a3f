import { sql } from 'kysely'
import type { Executor } from '../db/database.js'
import type { Insertable } from 'kysely'
import type { SafeguardingConcernActionsTable, SafeguardingConcernRow, SafeguardingConcernsTable } from '../db/types.js'
import type { Position } from '../lib/cursor.js'

/** Which concerns a caller may see: the organisation's, narrowed to the ones they raised. */
export interface ConcernScope {
  org: string
  raisedBy?: string
}

export interface ConcernView extends SafeguardingConcernRow {
  reference: string
}

export interface ConcernAction {
  action: string
  outcome: string | null
  actor_id: string
  actor_role: string
  at: Date
}

export type ConcernQueue = 'unacknowledged' | 'overdue' | 'open' | 'closed'

export interface ConcernFilter {
  referral_id?: string
  match_id?: string
  mentor_id?: string
  kind?: SafeguardingConcernRow['kind']
  status?: ConcernQueue
}

export async function insertConcern(
  db: Executor,
  row: Insertable<SafeguardingConcernsTable>
): Promise<SafeguardingConcernRow> {
  return await db.insertInto('safeguarding_concerns').values(row).returningAll().executeTakeFirstOrThrow()
}

function base(db: Executor, scope: ConcernScope) {
  let q = db
    .selectFrom('safeguarding_concerns')
    .innerJoin('referrals', 'referrals.id', 'safeguarding_concerns.referral_id')
    .selectAll('safeguarding_concerns')
    .select('referrals.reference')
    .where('safeguarding_concerns.organisation_id', '=', scope.org)
  if (scope.raisedBy !== undefined) q = q.where('safeguarding_concerns.raised_by', '=', scope.raisedBy)
  return q
}

export async function findConcern(db: Executor, scope: ConcernScope, id: string): Promise<ConcernView | undefined> {
  return await base(db, scope).where('safeguarding_concerns.id', '=', id).executeTakeFirst()
}

/** A page of concerns, newest first; one row more than `limit` tells that another page follows. */
export async function listConcerns(
  db: Executor,
  scope: ConcernScope,
  filter: ConcernFilter,
  after: Position | null,
  limit: number
): Promise<ConcernView[]> {
  let q = base(db, scope)
  if (filter.referral_id !== undefined) q = q.where('safeguarding_concerns.referral_id', '=', filter.referral_id)
  if (filter.match_id !== undefined) q = q.where('safeguarding_concerns.match_id', '=', filter.match_id)
  if (filter.mentor_id !== undefined) q = q.where('safeguarding_concerns.mentor_id', '=', filter.mentor_id)
  if (filter.kind !== undefined) q = q.where('safeguarding_concerns.kind', '=', filter.kind)
  if (filter.status === 'closed') q = q.where('safeguarding_concerns.outcome_at', 'is not', null)
  if (filter.status !== undefined && filter.status !== 'closed')
    q = q.where('safeguarding_concerns.outcome_at', 'is', null)
  if (filter.status === 'unacknowledged') q = q.where('safeguarding_concerns.acknowledged_at', 'is', null)
  if (filter.status === 'overdue') {
    q = q.where((eb) =>
      eb.or([
        eb.and([
          eb('safeguarding_concerns.acknowledged_at', 'is', null),
          eb('safeguarding_concerns.acknowledgement_due_at', '<', sql<Date>`now()`)
        ]),
        eb.and([
          eb('safeguarding_concerns.lado_recorded_at', 'is', null),
          eb('safeguarding_concerns.lado_due_at', '<', sql<Date>`now()`)
        ])
      ])
    )
  }
  if (after !== null)
    q = q.where((eb) =>
      eb(eb.refTuple('safeguarding_concerns.created_at', 'safeguarding_concerns.id'), '<', eb.tuple(after.at, after.id))
    )
  return await q
    .orderBy('safeguarding_concerns.created_at', 'desc')
    .orderBy('safeguarding_concerns.id', 'desc')
    .limit(limit + 1)
    .execute()
}

/** The actions recorded on each concern, in the order they were recorded. */
export async function actionsOf(db: Executor, ids: string[]): Promise<Map<string, ConcernAction[]>> {
  const out = new Map<string, ConcernAction[]>()
  if (ids.length === 0) return out
  const rows = await db
    .selectFrom('safeguarding_concern_actions')
    .select(['concern_id', 'action', 'outcome', 'actor_id', 'actor_role', 'created_at as at'])
    .where('concern_id', 'in', ids)
    .orderBy('id')
    .execute()
  for (const r of rows) {
    const list = out.get(r.concern_id) ?? []
    list.push({ action: r.action, outcome: r.outcome, actor_id: r.actor_id, actor_role: r.actor_role, at: r.at })
    out.set(r.concern_id, list)
  }
  return out
}

export async function insertAction(db: Executor, row: Insertable<SafeguardingConcernActionsTable>): Promise<void> {
  await db.insertInto('safeguarding_concern_actions').values(row).execute()
}
