import type { Transaction } from 'kysely'
import type { DB, MatchGoalRow, MatchSessionRow } from '../db/types.js'
import type { Caller } from '../auth/roles.js'
import { hasRole, primaryRole } from '../auth/roles.js'
import { AppError, notFound } from '../errors/catalogue.js'
import type { Executor } from '../db/database.js'
import type { CreateSession, Goal, Session } from '../schemas/matches.js'
import { findProgramme } from '../programmes/programmes.repository.js'
import * as matches from './matches.repository.js'
import * as repo from './activity.repository.js'
import { scopeFor } from './matches.service.js'
import { checkIfMatch, etagOf } from '../lib/etag.js'
import { pausesOf } from '../evaluations/schedule.js'
import { jsonOf } from '../db/json.js'

type Trx = Transaction<DB>

/** The match of a session or goal request, as the caller may see it (a mentor only its own). */
export async function matchFor(db: Executor, caller: Caller, id: string): Promise<matches.MatchView> {
  const row = await matches.findMatch(db, scopeFor(caller), id)
  if (row === undefined) throw notFound('Match')
  return row
}

export function toSession(row: MatchSessionRow): Session {
  return { ...row, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString() }
}

const sessionRefused = (detail: string, code: string, message: string): AppError =>
  new AppError('invalid_transition', detail, { reasons: [{ code, message }] })

/**
 * A session fits the match's course: not after it closed, and once it closed only a coordinator
 * records one (catching up on the paperwork); never on a day inside a pause. A pause covers the days
 * after the day it began up to the day before it ended, so a session on either of those days stands.
 */
async function checkSessionDay(db: Executor, caller: Caller, match: matches.MatchView, heldOn: string): Promise<void> {
  if (match.status === 'closed') {
    const closedOn = match.closed_on as string
    if (heldOn > closedOn) {
      throw sessionRefused(
        `The match closed on ${closedOn}; a session on ${heldOn} is after it`,
        'session_after_close',
        `The match closed on ${closedOn}: sessions after that day cannot be logged`
      )
    }
    if (!hasRole(caller, 'coordinator')) {
      throw sessionRefused(
        'The match is closed; a coordinator records any session it is missing',
        'match_closed',
        `The match closed on ${closedOn}: ask the programme coordinator to record a missing session`
      )
    }
  }
  const history = await matches.listHistory(db, match.id)
  const pause = pausesOf(history).find((p) => heldOn > p.from && (p.to === null || heldOn < p.to))
  if (pause !== undefined) {
    const span = pause.to === null ? `since ${pause.from}` : `from ${pause.from} to ${pause.to}`
    throw sessionRefused(
      `The match was paused ${span}; no session is held during a pause`,
      'session_during_pause',
      `The match was paused ${span}: a session on ${heldOn} falls inside the pause`
    )
  }
}

export async function logSession(
  trx: Trx,
  caller: Caller,
  matchId: string,
  body: CreateSession,
  today: string
): Promise<MatchSessionRow> {
  const match = await matchFor(trx, caller, matchId)
  if (match.status === 'proposed' || match.started_on === null) {
    throw new AppError('invalid_transition', 'Sessions are logged once the match is active', {
      reasons: [{ code: 'match_not_started', message: 'The match has not started yet' }]
    })
  }
  const errors: Array<{ path: string; message: string }> = []
  if (body.held_on > today) errors.push({ path: 'body/held_on', message: 'must not be in the future' })
  if (body.held_on < match.started_on)
    errors.push({ path: 'body/held_on', message: `must not be before the match started (${match.started_on})` })
  if (errors.length > 0)
    throw new AppError('validation_failed', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors })
  await checkSessionDay(trx, caller, match, body.held_on)
  const programme = await findProgramme(trx, match.organisation_id, match.programme_id)
  if (programme === undefined) throw notFound('Programme')
  const mode = programme.rules.delivery.mode
  if (body.location_type === 'online' && mode === 'in_person') {
    throw new AppError(
      'rule_refused',
      'This programme meets in person; online sessions are for virtual or blended programmes',
      {
        reasons: [
          { code: 'online_not_in_programme', message: 'Online sessions are only for virtual or blended programmes' }
        ]
      }
    )
  }
  return await repo.insertSession(trx, {
    organisation_id: match.organisation_id,
    match_id: match.id,
    held_on: body.held_on,
    duration_minutes: body.duration_minutes,
    location_type: body.location_type,
    attended: body.attended,
    notes: body.notes ?? null,
    recorded_by: caller.sub,
    recorded_role: primaryRole(caller, ['coordinator', 'mentor'])
  })
}

export function toGoal(row: MatchGoalRow): Goal {
  return { ...row, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString() }
}
export const goalEtag = etagOf

/** Goals belong to mentoring; befriending and Independent Visiting are led by the young person. */
export function assertGoalsAllowed(kind: string): void {
  if (kind !== 'mentoring') {
    throw new AppError(
      'rule_refused',
      `Goals are not set in ${kind.replace('_', ' ')} programmes, which the young person leads`,
      {
        reasons: [
          {
            code: 'goals_not_for_programme',
            message: 'Only mentoring programmes set goals; befriending and Independent Visitor programmes impose none'
          }
        ]
      }
    )
  }
}

export async function addGoal(
  trx: Trx,
  caller: Caller,
  matchId: string,
  body: { title: string; description?: string; target_date?: string }
): Promise<MatchGoalRow> {
  const match = await matchFor(trx, caller, matchId)
  assertGoalsAllowed(match.programme_kind)
  if (match.status === 'closed')
    throw new AppError('invalid_transition', 'The match is closed', {
      reasons: [{ code: 'match_closed', message: 'Goals cannot be added to a closed match' }]
    })
  return await repo.insertGoal(trx, {
    organisation_id: match.organisation_id,
    match_id: match.id,
    title: body.title,
    description: body.description ?? null,
    target_date: body.target_date ?? null,
    created_by: caller.sub
  })
}

export async function updateGoal(
  trx: Trx,
  caller: Caller,
  matchId: string,
  goalId: string,
  body: {
    progress?: number
    status?: MatchGoalRow['status']
    note?: string
    title?: string
    target_date?: string | null
  },
  ifMatch: string | undefined,
  today: string
): Promise<MatchGoalRow> {
  const match = await matchFor(trx, caller, matchId)
  assertGoalsAllowed(match.programme_kind)
  const goal = await repo.lockGoal(trx, match.id, goalId)
  if (goal === undefined) throw notFound('Goal')
  checkIfMatch(ifMatch, goal, 'goal')
  const notes = goal.progress_notes
  const progress = body.progress ?? (body.status === 'achieved' ? 100 : goal.progress)
  const logged = body.progress !== undefined || body.note !== undefined || body.status !== undefined
  return await repo.updateGoal(trx, goal.id, {
    ...(body.title !== undefined ? { title: body.title } : {}),
    ...(body.target_date !== undefined ? { target_date: body.target_date } : {}),
    ...(body.status !== undefined ? { status: body.status } : {}),
    progress,
    ...(logged
      ? {
          progress_notes: jsonOf([
            ...notes,
            { on: today, progress, note: body.note ?? null, by: primaryRole(caller, ['coordinator', 'mentor']) }
          ])
        }
      : {})
  })
}
