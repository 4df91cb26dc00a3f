import type { Transaction } from 'kysely'
import type { DB, SafeguardingConcernRow } from '../db/types.js'
import type { Executor } from '../db/database.js'
import type { Caller } from '../auth/roles.js'
import type { Concern } from '../schemas/safeguarding-concerns.js'
import { hasRole, primaryRole } from '../auth/roles.js'
import { AppError, notFound, unknownReference } from '../errors/catalogue.js'
import type { Position } from '../lib/cursor.js'
import { insertNotifications } from '../notifications/notifications.repository.js'
import { concernRaised } from '../notifications/templates/safeguarding.js'
import { recipientsWithRole } from '../users/users.repository.js'
import { findReferral } from '../referrals/referrals.repository.js'
import { findMatch } from './matches.repository.js'
import { scopeFor as matchScope } from './matches.service.js'
import { suspendForAllegation } from '../mentors/mentors.service.js'
import { findMentor } from '../mentors/mentors.repository.js'
import { deadlinesFor, type ConcernKind } from '../safeguarding/workflow.service.js'
import { safeguardingLeads } from '../safeguarding/safeguarding.repository.js'
import * as repo from './concerns.repository.js'
import type { ConcernAction, ConcernFilter, ConcernScope, ConcernView } from './concerns.repository.js'

type Trx = Transaction<DB>

export interface ConcernInput {
  match_id?: string
  referral_id?: string
  kind?: ConcernKind
  mentor_id?: string
  category: SafeguardingConcernRow['category']
  description: string
  occurred_on?: string
  raised_at?: string
  immediate_risk?: boolean
}

/** Coordinators and admins see every concern; mentors and referrers the ones they raised. */
export const seesAll = (caller: Caller): boolean => hasRole(caller, 'coordinator', 'admin')

const fieldError = (path: string, message: string, detail = `${path} ${message}`): AppError =>
  new AppError('validation_failed', detail, { errors: [{ path, message }] })

/** When the concern was raised: now, or earlier when a coordinator or admin records one received before. */
function raisedAtOf(caller: Caller, body: ConcernInput, now: Date): Date {
  if (body.raised_at === undefined) return now
  if (!hasRole(caller, 'coordinator', 'admin')) {
    throw new AppError('forbidden', 'Only a coordinator or an admin records a concern received earlier', {
      errors: [{ path: 'body/raised_at', message: 'may be given only by a coordinator or an admin' }]
    })
  }
  const at = new Date(body.raised_at)
  if (at.getTime() > now.getTime()) throw fieldError('body/raised_at', 'must not be in the future')
  return at
}

/**
 * Records a concern and, in the same transaction, one alert per coordinator. The alert names the
 * referral's reference only: the details stay in Waymark, behind a coordinator's sign-in.
 */
export async function raiseConcern(
  trx: Trx,
  caller: Caller,
  body: ConcernInput,
  clock: { today: string; timeZone: string; now?: Date }
): Promise<{ row: SafeguardingConcernRow; reference: string; notificationIds: string[] }> {
  const org = caller.org as string
  const today = clock.today
  const kind = body.kind ?? 'about_young_person'
  const raisedAt = raisedAtOf(caller, body, clock.now ?? new Date())
  if (body.occurred_on !== undefined && body.occurred_on > today) {
    throw new AppError('validation_failed', 'body/occurred_on must not be in the future', {
      errors: [{ path: 'body/occurred_on', message: 'must not be in the future' }]
    })
  }
  let referralId: string
  let matchId: string | null = null
  let matchMentor: string | null = null
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
    matchMentor = match.mentor_id
    reference = match.reference
  } else if (body.referral_id !== undefined) {
    if (hasRole(caller, 'mentor') && !hasRole(caller, 'coordinator', 'referrer')) {
      throw new AppError('validation_failed', 'A mentor raises a concern about one of its matches', {
        errors: [{ path: 'body/match_id', message: 'is required' }]
      })
    }
    const referral = await findReferral(
      trx,
      seesAll(caller) ? { org } : { org, createdBy: caller.sub },
      body.referral_id
    )
    if (referral === undefined)
      throw unknownReference('body/referral_id', 'is not a referral you can raise a concern about')
    referralId = referral.id
    reference = referral.reference
  } else {
    throw new AppError('validation_failed', 'Name the match or the referral the concern is about', {
      errors: [{ path: 'body/match_id', message: 'match_id or referral_id is required' }]
    })
  }
  const mentorId = await allegedMentor(trx, caller, kind, body, matchMentor)
  const deadlines = await deadlinesFor(trx, raisedAt, body.immediate_risk === true, kind, clock.timeZone)
  const suspended = mentorId !== null && (await suspendForAllegation(trx, caller, mentorId, today))
  const row = await repo.insertConcern(trx, {
    organisation_id: org,
    referral_id: referralId,
    match_id: matchId,
    category: body.category,
    description: body.description,
    occurred_on: body.occurred_on ?? null,
    immediate_risk: body.immediate_risk === true,
    raised_by: caller.sub,
    raised_role: primaryRole(caller, ['coordinator', 'admin', 'mentor', 'referrer']),
    kind,
    raised_at: raisedAt,
    mentor_id: mentorId,
    mentor_suspended: suspended,
    acknowledgement_due_at: deadlines.acknowledgement,
    lado_due_at: deadlines.lado
  })
  // Coordinators and safeguarding leads, each once.
  const recipients = new Map<string, { id: string; email: string }>()
  for (const u of [...(await recipientsWithRole(trx, org, 'coordinator')), ...(await safeguardingLeads(trx, org))])
    recipients.set(u.id, u)
  const message = concernRaised({
    reference,
    category: body.category,
    kind,
    raisedRole: row.raised_role,
    immediateRisk: row.immediate_risk
  })
  const notificationIds = await insertNotifications(
    trx,
    [...recipients.values()].map((c) => ({
      organisation_id: org,
      dedupe_key: `safeguarding-concern:${row.id}:${c.id}`,
      kind: 'safeguarding_concern',
      recipient: c.email,
      ...message,
      subject_type: 'safeguarding_concern',
      subject_id: row.id
    }))
  )
  return { row, reference, notificationIds }
}

/**
 * The mentor an allegation is about: `mentor_id`, or the mentor of the match. A mentor raising one names
 * another mentor; the mentor must be of the organisation. Null for any other kind of concern.
 */
async function allegedMentor(
  trx: Trx,
  caller: Caller,
  kind: string,
  body: ConcernInput,
  matchMentor: string | null
): Promise<string | null> {
  if (kind !== 'allegation_about_mentor') {
    if (body.mentor_id !== undefined) throw fieldError('body/mentor_id', 'is only for an allegation about a mentor')
    return null
  }
  const id = body.mentor_id ?? (hasRole(caller, 'coordinator', 'admin', 'referrer') ? matchMentor : null)
  if (id === null) throw fieldError('body/mentor_id', 'is required for an allegation about a mentor')
  if (hasRole(caller, 'mentor') && !hasRole(caller, 'coordinator', 'admin', 'referrer') && id === caller.mentorId) {
    throw fieldError('body/mentor_id', 'must name the mentor the allegation is about, not yourself')
  }
  const mentor = await findMentor(trx, { org: caller.org as string }, id)
  if (mentor === undefined) throw unknownReference('body/mentor_id', 'is not a mentor of your organisation')
  return mentor.id
}

export type { ConcernAction, ConcernQueue, ConcernView } from './concerns.repository.js'

/** A concern is seen by the staff who handle it and by whoever raised it. */
const scopeOf = (caller: Caller): ConcernScope =>
  seesAll(caller) ? { org: caller.org as string } : { org: caller.org as string, raisedBy: caller.sub }

export async function findConcern(db: Executor, caller: Caller, id: string): Promise<ConcernView | undefined> {
  return await repo.findConcern(db, scopeOf(caller), id)
}

export async function listConcerns(
  db: Executor,
  caller: Caller,
  filter: ConcernFilter,
  after: Position | null,
  limit: number
): Promise<ConcernView[]> {
  return await repo.listConcerns(db, scopeOf(caller), filter, after, limit)
}

export const actionsOf = repo.actionsOf

export async function addAction(
  trx: Trx,
  caller: Caller,
  id: string,
  body: { action: string; outcome?: string }
): Promise<void> {
  const concern = await findConcern(trx, caller, id)
  if (concern === undefined) throw notFound('Concern')
  await repo.insertAction(trx, {
    concern_id: concern.id,
    action: body.action,
    outcome: body.outcome ?? null,
    actor_id: caller.sub,
    actor_role: primaryRole(caller, ['coordinator'])
  })
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString())
const passed = (due: Date | null, met: Date | null, closed: Date | null, now: Date): boolean =>
  due !== null && met === null && closed === null && due.getTime() < now.getTime()

/**
 * The API shape. Coordinators and admins see the whole workflow; the mentor or referrer who raised it
 * sees where it stands, without the mentor's id, the LADO's reference or the outcome's note.
 */
export function toConcern(
  row: ConcernView,
  actions: ConcernAction[],
  caller?: Caller,
  now: Date = new Date()
): Concern {
  const staff = caller === undefined || seesAll(caller)
  const ackOverdue = passed(row.acknowledgement_due_at, row.acknowledged_at, row.outcome_at, now)
  const ladoOverdue = passed(row.lado_due_at, row.lado_recorded_at, row.outcome_at, now)
  return {
    id: row.id,
    referral_id: row.referral_id,
    reference: row.reference,
    match_id: row.match_id,
    kind: row.kind,
    mentor_id: staff ? row.mentor_id : null,
    category: row.category,
    description: row.description,
    occurred_on: row.occurred_on,
    immediate_risk: row.immediate_risk,
    raised_at: row.raised_at.toISOString(),
    raised_by: row.raised_by,
    raised_role: row.raised_role,
    status: row.outcome_at === null ? 'open' : 'closed',
    overdue: ackOverdue || ladoOverdue,
    acknowledgement: {
      due_at: iso(row.acknowledgement_due_at),
      acknowledged_at: iso(row.acknowledged_at),
      acknowledged_by: row.acknowledged_by,
      acknowledged_role: row.acknowledged_role,
      overdue: ackOverdue
    },
    lado_referral:
      row.lado_due_at === null && row.lado_recorded_at === null
        ? null
        : {
            due_at: iso(row.lado_due_at),
            referred_on: row.lado_referred_on,
            lado_reference: staff ? row.lado_reference : null,
            recorded_by: row.lado_recorded_by,
            recorded_at: iso(row.lado_recorded_at),
            overdue: ladoOverdue
          },
    mentor_suspended: row.mentor_suspended,
    // A CHECK constraint keeps `outcome_at` with every outcome; `outcome_by` is written with it.
    outcome:
      row.outcome === null || row.outcome_at === null
        ? null
        : {
            outcome: row.outcome,
            note: staff ? row.outcome_note : null,
            recorded_by: row.outcome_by ?? '',
            recorded_at: row.outcome_at.toISOString()
          },
    retention_class: row.retention_class,
    actions: actions.map((a) => ({ ...a, at: a.at.toISOString() })),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString()
  }
}
