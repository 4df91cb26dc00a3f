import type { Transaction } from 'kysely'
import type { DB, SafeguardingConcernRow } from '../db/types.js'
import type { Executor } from '../db/database.js'
import type { Caller } from '../auth/roles.js'
import { hasRole, primaryRole } from '../auth/roles.js'
import { AppError, notFound, unknownReference } from '../errors/catalogue.js'
import type { Position } from '../lib/cursor.js'
import { insertNotifications } from '../notifications/notifications.repository.js'
import { concernRaised } from '../notifications/templates/safeguarding.js'
import { recipientsWithRole } from '../users/users.repository.js'
import { findReferral } from '../referrals/referrals.repository.js'
import { findMatch } from './matches.repository.js'
import { scopeFor as matchScope } from './matches.service.js'

type Trx = Transaction<DB>

export interface ConcernInput { match_id?: string, referral_id?: string, category: string, description: string, occurred_on?: string, immediate_risk?: boolean }

/** Coordinators see every concern; mentors and referrers the ones they raised. */
const seesAll = (caller: Caller): boolean => hasRole(caller, 'coordinator')

/**
 * Records a concern and, in the same transaction, one alert per coordinator. The alert names the
 * referral's reference only: the details stay in Waymark, behind a coordinator's sign-in.
 */
export async function raiseConcern (trx: Trx, caller: Caller, body: ConcernInput, today: string): Promise<{ row: SafeguardingConcernRow, reference: string, notificationIds: string[] }> {
  const org = caller.org as string
  if (body.occurred_on !== undefined && body.occurred_on > today) {
    throw new AppError('validation_failed', 'body/occurred_on must not be in the future', { errors: [{ path: 'body/occurred_on', message: 'must not be in the future' }] })
  }
  let referralId: string
  let matchId: string | null = null
  let reference: string
  if (body.match_id !== undefined) {
    // A mentor only about its own matches; a referrer only about its own referrals' matches.
    const match = await findMatch(trx, matchScope(caller), body.match_id)
    if (match === undefined) throw unknownReference('body/match_id', 'is not a match you can raise a concern about')
    if (body.referral_id !== undefined && body.referral_id !== match.referral_id) {
      throw unknownReference('body/referral_id', 'is not the referral of this match')
    }
    referralId = match.referral_id
    matchId = match.id
    reference = match.reference
  } else if (body.referral_id !== undefined) {
    if (hasRole(caller, 'mentor') && !hasRole(caller, 'coordinator', 'referrer')) {
      throw new AppError('validation_failed', 'A mentor raises a concern about one of its matches', { errors: [{ path: 'body/match_id', message: 'is required' }] })
    }
    const referral = await findReferral(trx, seesAll(caller) ? { org } : { org, createdBy: caller.sub }, body.referral_id)
    if (referral === undefined) throw unknownReference('body/referral_id', 'is not a referral you can raise a concern about')
    referralId = referral.id
    reference = referral.reference
  } else {
    throw new AppError('validation_failed', 'Name the match or the referral the concern is about', { errors: [{ path: 'body/match_id', message: 'match_id or referral_id is required' }] })
  }
  const row = await trx.insertInto('safeguarding_concerns').values({
    organisation_id: org,
    referral_id: referralId,
    match_id: matchId,
    category: body.category,
    description: body.description,
    occurred_on: body.occurred_on ?? null,
    immediate_risk: body.immediate_risk === true,
    raised_by: caller.sub,
    raised_role: primaryRole(caller, ['coordinator', 'mentor', 'referrer'])
  }).returningAll().executeTakeFirstOrThrow()
  const coordinators = await recipientsWithRole(trx, org, 'coordinator')
  const message = concernRaised({ reference, category: body.category, raisedRole: row.raised_role, immediateRisk: row.immediate_risk })
  const notificationIds = await insertNotifications(trx, coordinators.map((c) => ({
    organisation_id: org,
    dedupe_key: `safeguarding-concern:${row.id}:${c.id}`,
    kind: 'safeguarding_concern',
    recipient: c.email,
    ...message,
    subject_type: 'safeguarding_concern',
    subject_id: row.id
  })))
  return { row, reference, notificationIds }
}

export interface ConcernView extends SafeguardingConcernRow { reference: string }

function base (db: Executor, caller: Caller) {
  let q = db.selectFrom('safeguarding_concerns').innerJoin('referrals', 'referrals.id', 'safeguarding_concerns.referral_id')
    .selectAll('safeguarding_concerns').select('referrals.reference')
    .where('safeguarding_concerns.organisation_id', '=', caller.org as string)
  if (!seesAll(caller)) q = q.where('safeguarding_concerns.raised_by', '=', caller.sub)
  return q
}

export async function findConcern (db: Executor, caller: Caller, id: string): Promise<ConcernView | undefined> {
  return await base(db, caller).where('safeguarding_concerns.id', '=', id).executeTakeFirst()
}

export async function listConcerns (db: Executor, caller: Caller, filter: { referral_id?: string, match_id?: string }, after: Position | null, limit: number): Promise<ConcernView[]> {
  let q = base(db, caller)
  if (filter.referral_id !== undefined) q = q.where('safeguarding_concerns.referral_id', '=', filter.referral_id)
  if (filter.match_id !== undefined) q = q.where('safeguarding_concerns.match_id', '=', filter.match_id)
  if (after !== null) q = q.where((eb) => eb(eb.refTuple('safeguarding_concerns.created_at', 'safeguarding_concerns.id'), '<', eb.tuple(after.at, after.id)))
  return await q.orderBy('safeguarding_concerns.created_at', 'desc').orderBy('safeguarding_concerns.id', 'desc').limit(limit + 1).execute()
}

export async function actionsOf (db: Executor, ids: string[]): Promise<Map<string, Array<{ action: string, outcome: string | null, actor_id: string, actor_role: string, at: Date }>>> {
  const out = new Map<string, Array<{ action: string, outcome: string | null, actor_id: string, actor_role: string, at: Date }>>()
  if (ids.length === 0) return out
  const rows = await db.selectFrom('safeguarding_concern_actions').select(['concern_id', 'action', 'outcome', 'actor_id', 'actor_role', 'created_at as at'])
    .where('concern_id', 'in', ids).orderBy('id').execute()
  for (const r of rows) {
    const list = out.get(r.concern_id) ?? []
    list.push({ action: r.action, outcome: r.outcome, actor_id: r.actor_id, actor_role: r.actor_role, at: r.at })
    out.set(r.concern_id, list)
  }
  return out
}

export async function addAction (trx: Trx, caller: Caller, id: string, body: { action: string, outcome?: string }): Promise<void> {
  const concern = await findConcern(trx, caller, id)
  if (concern === undefined) throw notFound('Concern')
  await trx.insertInto('safeguarding_concern_actions').values({ concern_id: concern.id, action: body.action, outcome: body.outcome ?? null, actor_id: caller.sub, actor_role: primaryRole(caller, ['coordinator']) }).execute()
}

export function toConcern (row: ConcernView, actions: Array<{ action: string, outcome: string | null, actor_id: string, actor_role: string, at: Date }>): any {
  return {
    id: row.id, referral_id: row.referral_id, reference: row.reference, match_id: row.match_id, category: row.category,
    description: row.description, occurred_on: row.occurred_on, immediate_risk: row.immediate_risk,
    raised_by: row.raised_by, raised_role: row.raised_role,
    actions: actions.map((a) => ({ ...a, at: a.at.toISOString() })),
    created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString()
  }
}
