import type { Transaction } from 'kysely'
import type { DB, MatchRow } from '../db/types.js'
import type { Caller } from '../auth/roles.js'
import { hasRole, primaryRole } from '../auth/roles.js'
import { AppError, invalidTransition, notFound, unknownReference, type Reason } from '../errors/catalogue.js'
import { ageOn, daysBetween } from '../lib/dates.js'
import type { ProgrammeRules } from '../schemas/programmes.js'
import type { ActivateMatch, CreateMatch, Match, MatchStatus } from '../schemas/matches.js'
import { findProgramme } from '../programmes/programmes.repository.js'
import { lockReferral } from '../referrals/referrals.repository.js'
import { matchTransition, setMatchSummary } from '../referrals/referrals.service.js'
import { assertNoLinkedMatch } from '../referrals/links.service.js'
import { insertNotifications } from '../notifications/notifications.repository.js'
import { referralMatched } from '../notifications/templates/referrals.js'
import { assertMatchable, type MatchingDeps } from '../matching/matching.service.js'
import * as repo from './matches.repository.js'
import { syncEvaluationSchedule } from '../evaluations/evaluations.service.js'
import { checkIfMatch, etagOf } from '../lib/etag.js'
import { emitEvent } from '../webhooks/webhook-events.js'
import { jsonOf } from '../db/json.js'

type Trx = Transaction<DB>

/** Who sees what: coordinators and integrations everything; a mentor its own; a referrer its referrals'. */
export function scopeFor(caller: Caller): repo.MatchScope {
  const org = caller.org as string
  if (hasRole(caller, 'coordinator', 'admin', 'integration')) return { org }
  if (hasRole(caller, 'mentor')) return { org, mentorId: caller.mentorId as string }
  return { org, referralCreatedBy: caller.sub }
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString())

function needsSummary(needs: { areas: string[]; level: string }): string {
  return `Support with ${needs.areas.map((a) => a.replace(/_/g, ' ')).join(', ')} (${needs.level} level needs)`
}

/** The view of a match the caller is entitled to. */
export function toMatch(row: repo.MatchView, caller: Caller, today: string): Match {
  const common = {
    id: row.id,
    status: row.status as MatchStatus,
    programme_id: row.programme_id,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString()
  }
  if (hasRole(caller, 'coordinator', 'admin', 'integration')) {
    return {
      ...common,
      referral_id: row.referral_id,
      reference: row.reference,
      mentor_id: row.mentor_id,
      mentor_first_name: row.mentor_given_name,
      introduction: row.introduction,
      agreements: row.agreements,
      started_on: row.started_on,
      paused_at: row.paused_at,
      closed_on: row.closed_on,
      close_reason_code: row.close_reason_code as Match['close_reason_code'],
      close_note: row.close_note,
      closure_evaluation_waived: row.closure_evaluation_waived,
      flagged_at: iso(row.flagged_at),
      flag_reason: row.flag_reason
    }
  }
  if (hasRole(caller, 'mentor')) {
    const yp = row.young_person
    return {
      ...common,
      mentor_id: row.mentor_id,
      introduction: row.introduction,
      started_on: row.started_on,
      paused_at: row.paused_at,
      closed_on: row.closed_on,
      young_person: {
        first_name: yp.given_name,
        age: ageOn(yp.date_of_birth, today),
        school: yp.education_setting?.name ?? null,
        interests: yp.interests ?? [],
        needs_summary: needsSummary(row.needs)
      }
    }
  }
  return {
    ...common,
    referral_id: row.referral_id,
    reference: row.reference,
    mentor_first_name: row.mentor_given_name,
    started_on: row.started_on,
    closed_on: row.closed_on
  }
}

export interface Changed {
  row: repo.MatchView
  notificationIds: string[]
}

/**
 * Makes a match. The referral and then the mentor are locked, and every hard rule (clearance and free
 * places included) is judged again under those locks, so two coordinators can never over-fill a mentor.
 */
export async function createMatch(
  deps: MatchingDeps & { db: Trx },
  caller: Caller,
  body: CreateMatch,
  today: string
): Promise<Changed> {
  const trx = deps.db
  const org = caller.org as string
  const referral = await lockReferral(trx, { org }, body.referral_id)
  if (referral === undefined) {
    throw unknownReference('body/referral_id', 'is not a referral of your organisation')
  }
  if (referral.status !== 'accepted') {
    throw new AppError(
      'invalid_transition',
      `Only an accepted referral can be matched; this one is ${referral.status}`,
      {
        reasons: [
          { code: 'referral_not_waiting', message: `The referral is ${referral.status}, not waiting for a match` }
        ]
      }
    )
  }
  await assertNoLinkedMatch(trx, referral.id)
  const mentor = await repo.lockMentorRow(trx, org, body.mentor_id)
  if (mentor === undefined) {
    throw unknownReference('body/mentor_id', 'is not a mentor of your organisation')
  }
  const programme = await findProgramme(trx, org, referral.programme_id)
  if (programme === undefined) throw notFound('Programme')
  await assertMatchable(deps, org, referral, programme, mentor.id, today)
  const row = await repo.insertMatch(trx, {
    organisation_id: org,
    referral_id: referral.id,
    mentor_id: mentor.id,
    programme_id: programme.id,
    introduction: jsonOf(body.introduction),
    created_by: caller.sub
  })
  const actor = { id: caller.sub, role: primaryRole(caller, ['coordinator']) }
  await repo.insertHistory(trx, {
    match_id: row.id,
    from_status: null,
    to_status: 'proposed',
    on_date: today,
    actor_id: actor.id,
    actor_role: actor.role,
    reason: 'introduction arranged'
  })
  await emitEvent(trx, org, 'match.created', {
    id: row.id,
    reference: referral.reference,
    status: 'proposed',
    programme_id: programme.id,
    referral_id: referral.id
  })
  await matchTransition(trx, org, referral.id, 'matched', actor, 'matched with a mentor', {
    status: 'proposed',
    mentor_first_name: mentor.given_name
  })
  const referrer = referral.referrer
  const notificationIds = await insertNotifications(trx, [
    {
      organisation_id: org,
      dedupe_key: `referral-matched:${row.id}`,
      kind: 'referral_matched',
      recipient: referrer.email,
      ...referralMatched({ reference: referral.reference, programme: programme.name }),
      subject_type: 'referral',
      subject_id: referral.id
    }
  ])
  return { row: await reloaded(trx, org, row), notificationIds }
}

async function reloaded(trx: Trx, org: string, row: MatchRow): Promise<repo.MatchView> {
  const view = await repo.findMatch(trx, { org }, row.id)
  if (view === undefined) throw notFound('Match')
  return view
}

export type MatchAction = 'activate' | 'pause' | 'resume' | 'close'

const FROM: Record<MatchAction, { from: MatchStatus[]; to: MatchStatus; verb: string }> = {
  activate: { from: ['proposed'], to: 'active', verb: 'activate the match' },
  pause: { from: ['active'], to: 'paused', verb: 'pause the match' },
  resume: { from: ['paused'], to: 'active', verb: 'resume the match' },
  close: { from: ['proposed', 'active', 'paused'], to: 'closed', verb: 'close the match' }
}

export interface TransitionInput extends Partial<ActivateMatch> {
  reason?: string
  note?: string
  reason_code?: string
  paused_on?: string
  resumed_on?: string
  closed_on?: string
}

/** The body field that dates each change, when it happened before the day it is recorded. */
const DAY_FIELD: Record<MatchAction, 'started_on' | 'paused_on' | 'resumed_on' | 'closed_on'> = {
  activate: 'started_on',
  pause: 'paused_on',
  resume: 'resumed_on',
  close: 'closed_on'
}

const fieldError = (field: string, message: string): AppError =>
  new AppError('validation_failed', `body/${field} ${message}`, { errors: [{ path: `body/${field}`, message }] })

/**
 * The day a change took effect: the date given (a change recorded late, or a match moved in from
 * another system) or today. Never in the future; an activation never before its introduction, any
 * other change never before the match's previous one.
 */
async function dayOfChange(
  trx: Trx,
  row: repo.MatchView,
  action: MatchAction,
  input: TransitionInput,
  today: string
): Promise<string> {
  const field = DAY_FIELD[action]
  const given = input[field]
  if (given === undefined) return today
  if (given > today) throw fieldError(field, 'must not be in the future')
  if (action === 'activate') {
    const heldOn = input.introduction?.held_on
    if (heldOn !== undefined && given < heldOn)
      throw fieldError(field, `must not be before the introduction (${heldOn})`)
    return given
  }
  const previous = await repo.lastHistoryEntry(trx, row.id)
  if (previous !== undefined && given < previous.on_date) {
    throw fieldError(
      field,
      `must not be before the match's previous status change (${previous.to_status} on ${previous.on_date})`
    )
  }
  return given
}

/** A pause or closure dated in the past may not leave logged sessions inside it. */
async function checkNoLaterSessions(
  trx: Trx,
  row: repo.MatchView,
  action: 'pause' | 'close',
  day: string
): Promise<void> {
  const { last } = await repo.sessionSpan(trx, row.id)
  if (last !== null && last > day) {
    const what = action === 'pause' ? 'paused' : 'closed'
    throw new AppError('conflict', `A session was held on ${last}, after the day the match ${what} (${day})`, {
      reasons: [
        {
          code: `sessions_after_${action}`,
          message: `The match has a session on ${last}; it cannot have ${what} on ${day}`
        }
      ]
    })
  }
}

/**
 * A rematch soon after the start, or before any session, ends a relationship that never took hold:
 * no closure evaluation is owed. Returns why, or null when one is owed.
 */
async function closureWaiver(
  trx: Trx,
  row: repo.MatchView,
  rules: ProgrammeRules,
  reasonCode: string | undefined,
  day: string
): Promise<string | null> {
  if (reasonCode !== 'rematch' || row.started_on === null) return null
  const weeks = rules.session_alert_weeks ?? 3
  if (daysBetween(row.started_on, day) < weeks * 7)
    return `the match closed within its first ${weeks} week${weeks === 1 ? '' : 's'}`
  if ((await repo.sessionSpan(trx, row.id)).count === 0) return 'no session was logged'
  return null
}

/** Does the programme need a parent's or carer's agreement for this young person? */
export function parentalAgreementNeeded(rules: ProgrammeRules, age: number): boolean {
  const p = rules.consent.parental
  if (p === 'always') return true
  if (p === 'never') return false
  return age < p.under_age
}

function checkActivation(input: ActivateMatch, rules: ProgrammeRules, age: number, today: string): void {
  const errors: Array<{ path: string; message: string }> = []
  if (input.introduction.held_on > today)
    errors.push({ path: 'body/introduction/held_on', message: 'must not be in the future' })
  for (const who of ['young_person', 'mentor', 'parent_carer'] as const) {
    const a = input.agreements[who]
    if (a !== undefined && a.recorded_on > today)
      errors.push({ path: `body/agreements/${who}/recorded_on`, message: 'must not be in the future' })
  }
  if (errors.length > 0)
    throw new AppError('validation_failed', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors })
  const reasons: Reason[] = []
  for (const who of ['young_person', 'mentor'] as const) {
    if (!input.introduction.attendees.includes(who))
      reasons.push({
        code: 'introduction_incomplete',
        message: `The introduction meeting needs the ${who.replace('_', ' ')} present`
      })
  }
  if (!input.agreements.young_person.agreed)
    reasons.push({ code: 'young_person_agreement_missing', message: 'The young person has not agreed to the match' })
  if (!input.agreements.mentor.agreed)
    reasons.push({ code: 'mentor_agreement_missing', message: 'The mentor has not agreed to the match' })
  if (parentalAgreementNeeded(rules, age) && input.agreements.parent_carer?.agreed !== true) {
    reasons.push({
      code: 'parent_carer_agreement_missing',
      message: 'This programme needs the agreement of a parent or carer for this young person'
    })
  }
  if (reasons.length > 0) throw new AppError('rule_refused', reasons.map((r) => r.message).join('; '), { reasons })
}

export async function transition(
  trx: Trx,
  caller: Caller,
  id: string,
  action: MatchAction,
  input: TransitionInput,
  ifMatch: string | undefined,
  today: string
): Promise<Changed> {
  const org = caller.org as string
  const row = await repo.lockMatch(trx, { org }, id)
  if (row === undefined) throw notFound('Match')
  checkIfMatch(ifMatch, row, 'match')
  const t = FROM[action]
  if (!t.from.includes(row.status as MatchStatus)) throw invalidTransition(row.status, t.verb)
  if ((action === 'activate' || action === 'resume') && REVOKED_MENTOR.has(row.mentor_status)) {
    throw new AppError('invalid_transition', `The mentor is ${row.mentor_status}; the match cannot go on`, {
      reasons: [
        {
          code: `mentor_${row.mentor_status}`,
          message: `The mentor is ${row.mentor_status}: reinstate the mentor or close the match`
        }
      ]
    })
  }
  const actor = { id: caller.sub, role: primaryRole(caller, ['coordinator']) }
  const set: Parameters<typeof repo.updateMatch>[2] = { status: t.to }
  let reason: string | null = input.note ?? null
  const programme = await findProgramme(trx, org, row.programme_id)
  if (programme === undefined) throw notFound('Programme')
  const rules = programme.rules
  if (action === 'activate') {
    const age = ageOn(row.young_person.date_of_birth, today)
    checkActivation(input as ActivateMatch, rules, age, today)
  }
  const day = await dayOfChange(trx, row, action, input, today)
  switch (action) {
    case 'activate': {
      const body = input as ActivateMatch
      set.introduction = jsonOf({
        ...row.introduction,
        held_on: body.introduction.held_on,
        attendees: body.introduction.attendees
      })
      set.agreements = jsonOf(body.agreements)
      set.started_on = day
      reason = 'introduction held; agreements recorded'
      break
    }
    case 'pause':
      await checkNoLaterSessions(trx, row, 'pause', day)
      set.paused_at = day
      reason = input.reason ?? null
      break
    case 'resume':
      set.paused_at = null
      break
    case 'close': {
      await checkNoLaterSessions(trx, row, 'close', day)
      set.closed_on = day
      set.close_reason_code = input.reason_code ?? 'other'
      set.close_note = input.note ?? null
      const waived = await closureWaiver(trx, row, rules, input.reason_code, day)
      set.closure_evaluation_waived = waived !== null
      reason =
        waived === null
          ? (input.reason_code ?? null)
          : `${input.reason_code as string}; no closure evaluation: ${waived}`
      break
    }
  }
  await repo.updateMatch(trx, row.id, set)
  await repo.insertHistory(trx, {
    match_id: row.id,
    from_status: row.status,
    to_status: t.to,
    on_date: day,
    actor_id: actor.id,
    actor_role: actor.role,
    reason
  })
  await emitEvent(trx, org, 'match.status_changed', {
    id: row.id,
    reference: row.reference,
    status: t.to,
    previous_status: row.status,
    programme_id: row.programme_id,
    referral_id: row.referral_id
  })
  await syncEvaluationSchedule(trx, row.id, today)
  const summary = { status: t.to, mentor_first_name: row.mentor_given_name }
  if (action === 'close') {
    if (input.reason_code === 'rematch') {
      await matchTransition(
        trx,
        org,
        row.referral_id,
        'accepted',
        actor,
        'match closed for a rematch; waiting for a new mentor',
        null
      )
    } else {
      await matchTransition(
        trx,
        org,
        row.referral_id,
        'closed',
        actor,
        `match closed: ${input.reason_code ?? 'other'}`,
        summary
      )
    }
  } else {
    await setMatchSummary(trx, row.referral_id, summary)
  }
  const updated = await repo.findMatch(trx, { org }, row.id)
  if (updated === undefined) throw notFound('Match')
  return { row: updated, notificationIds: [] }
}

/** Mentor statuses that take away the mentor's access, so its matches cannot start or go on. */
const REVOKED_MENTOR = new Set(['suspended', 'withdrawn'])

/**
 * Pauses every active match of a mentor who was just suspended or withdrawn, each through the
 * ordinary pause (history entry, evaluation schedule, the referral's summary). Runs in the mentor's
 * transaction, with the mentor row already locked.
 */
export async function pauseMatchesOfMentor(
  trx: Trx,
  caller: Caller,
  mentorId: string,
  reason: string,
  today: string
): Promise<number> {
  const active = await repo.activeMatchesForMentors(trx, caller.org as string, [mentorId])
  for (const m of active) await transition(trx, caller, m.id, 'pause', { reason }, undefined, today)
  return active.length
}

export { etagOf }
