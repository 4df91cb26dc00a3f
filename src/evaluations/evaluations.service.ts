import * as evaluationsRepo from './evaluations.repository.js'
import { iso } from '../lib/wire.js'
import type { Transaction } from 'kysely'
import type { DB, EvaluationResponseRow, EvaluationRow } from '../db/types.js'
import type { Executor } from '../db/database.js'
import type { Caller } from '../auth/roles.js'
import { hasRole, primaryRole } from '../auth/roles.js'
import { AppError, notFound, unknownReference } from '../errors/catalogue.js'
import { daysBetween } from '../lib/dates.js'
import {
  MEASURE_NAMES,
  RESPONDENTS,
  type Evaluation,
  type Measures,
  type RecordEvaluation,
  type Respondent
} from '../schemas/evaluations.js'
import { planSchedule } from './schedule.js'
import { emitEvent } from '../webhooks/webhook-events.js'
import * as repo from './evaluations.repository.js'

export interface SyncCounts {
  matches: number
  inserted: number
  moved: number
  cancelled: number
}

/**
 * Brings the stored evaluations of some matches in line with their schedules on `asOf`: inserts
 * the ones now owed, moves due dates a pause changed, cancels those a closure cancelled. A few
 * queries per batch of matches, whatever its size.
 */
export async function syncSchedules(db: Executor, matchIds: string[], asOf: string): Promise<SyncCounts> {
  const counts: SyncCounts = { matches: 0, inserted: 0, moved: 0, cancelled: 0 }
  if (matchIds.length === 0) return counts
  const timelines = await repo.loadTimelines(db, matchIds)
  const inserts: repo.NewScheduled[] = []
  const moves: Array<{ id: string; due_on: string }> = []
  const cancels: string[] = []
  for (const m of timelines) {
    const plan = planSchedule(m, m, asOf, m.evaluations)
    for (const s of plan.insert)
      inserts.push({ ...s, organisation_id: m.organisation_id, match_id: m.id, programme_id: m.programme_id })
    moves.push(...plan.move)
    cancels.push(...plan.cancel)
  }
  counts.matches = timelines.length
  counts.inserted = await repo.insertScheduled(db, inserts)
  counts.moved = await repo.moveDueDates(db, moves)
  counts.cancelled = await repo.cancelEvaluations(db, cancels, asOf)
  return counts
}

/**
 * Recomputes one match's evaluations; the match service calls it in the transaction that changes
 * the match's status. `asOf` defaults to the day of the match's latest status change.
 */
export async function syncEvaluationSchedule(trx: Executor, matchId: string, asOf?: string): Promise<SyncCounts> {
  let day = asOf
  if (day === undefined) {
    day = (await evaluationsRepo.latestStatusDay(trx, matchId)) ?? new Date().toISOString().slice(0, 10)
  }
  return await syncSchedules(trx, [matchId], day)
}

export function toEvaluation(row: EvaluationRow, today: string, responses?: EvaluationResponseRow[]): Evaluation {
  const overdue = row.status === 'due' && row.due_on < today
  return {
    id: row.id,
    match_id: row.match_id,
    programme_id: row.programme_id,
    kind: row.kind as Evaluation['kind'],
    sequence: row.sequence,
    due_on: row.due_on,
    status: row.status as Evaluation['status'],
    overdue,
    days_overdue: overdue ? daysBetween(row.due_on, today) : 0,
    held_on: row.held_on,
    completed_on: row.completed_on,
    recorded_by: row.recorded_by,
    ...(responses !== undefined
      ? {
          responses: [...responses]
            .sort(
              (a, b) =>
                RESPONDENTS.indexOf(a.respondent as Respondent) - RESPONDENTS.indexOf(b.respondent as Respondent)
            )
            .map((r) => {
              const measures: Measures = {}
              for (const m of MEASURE_NAMES) if (r[m] !== null) measures[m] = r[m]
              return { respondent: r.respondent as Respondent, measures, comments: r.comments }
            })
        }
      : {}),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at)
  }
}

/** The evaluations a caller may see: a mentor only those of its own matches. */
export function scopeFor(caller: Caller): repo.EvaluationScope {
  const org = caller.org as string
  if (hasRole(caller, 'coordinator', 'admin')) return { org }
  return { org, mentorId: caller.mentorId ?? '00000000-0000-0000-0000-000000000000' }
}

/**
 * Records an evaluation of a match: the responses of each respondent, completing the evaluation
 * they answer (the one named, else the earliest due one of the kind given, else of any kind).
 */
export async function recordEvaluation(
  trx: Transaction<DB>,
  caller: Caller,
  matchId: string,
  input: RecordEvaluation,
  today: string
): Promise<{ row: EvaluationRow; responses: EvaluationResponseRow[] }> {
  const scope = scopeFor(caller)
  const match = await evaluationsRepo.shareMatch(trx, scope, matchId)
  if (match === undefined) throw notFound('Match')

  const errors: Array<{ path: string; message: string }> = []
  if (input.held_on > today) errors.push({ path: 'body/held_on', message: 'must not be in the future' })
  if (match.started_on !== null && input.held_on < match.started_on)
    errors.push({ path: 'body/held_on', message: `must not be before the match started (${match.started_on})` })
  const seen = new Set<string>()
  input.responses.forEach((r, i) => {
    if (seen.has(r.respondent))
      errors.push({ path: `body/responses/${i}/respondent`, message: `${r.respondent} answers at most once` })
    seen.add(r.respondent)
  })
  if (errors.length > 0)
    throw new AppError('validation_failed', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors })

  if (match.started_on === null) {
    throw new AppError('invalid_transition', 'The match has not started, so no evaluation is owed', {
      reasons: [
        { code: 'match_not_started', message: `Evaluations begin once the match is active; it is ${match.status}` }
      ]
    })
  }
  const evaluation = await repo.lockEvaluationToRecord(trx, match.id, input.evaluation_id, input.kind)
  if (evaluation === undefined) {
    if (input.evaluation_id !== undefined) {
      throw unknownReference(
        'body/evaluation_id',
        'is not an evaluation of this match' + (input.kind !== undefined ? ' of that kind' : '')
      )
    }
    throw new AppError('conflict', 'No evaluation of this match is due', {
      reasons: [
        {
          code: 'no_evaluation_due',
          message:
            input.kind !== undefined
              ? `No ${input.kind} evaluation is due for this match`
              : 'Every evaluation of this match is recorded'
        }
      ]
    })
  }
  if (evaluation.status !== 'due') {
    throw new AppError('conflict', `The evaluation is ${evaluation.status}`, {
      reasons: [{ code: `evaluation_${evaluation.status}`, message: `This evaluation is already ${evaluation.status}` }]
    })
  }
  const row = await repo.completeEvaluation(trx, evaluation.id, {
    held_on: input.held_on,
    completed_on: today,
    recorded_by: caller.sub,
    recorded_role: primaryRole(caller, ['coordinator', 'mentor'])
  })
  await emitEvent(trx, row.organisation_id, 'evaluation.completed', {
    id: row.id,
    status: row.status,
    programme_id: row.programme_id,
    match_id: row.match_id
  })
  const responses = await repo.insertResponses(
    trx,
    input.responses.map((r) => ({
      evaluation_id: row.id,
      organisation_id: row.organisation_id,
      programme_id: row.programme_id,
      held_on: input.held_on,
      respondent: r.respondent,
      has_trusted_adult: r.measures.has_trusted_adult ?? null,
      feels_listened_to: r.measures.feels_listened_to ?? null,
      confidence: r.measures.confidence ?? null,
      education_engagement: r.measures.education_engagement ?? null,
      goal_progress: r.measures.goal_progress ?? null,
      comments: r.comments ?? null
    }))
  )
  return { row, responses }
}
