import { addDays, addMonths, daysBetween } from '../lib/dates.js'

/**
 * When a match's evaluations fall due, worked out from its start, its pauses and its closure.
 *
 * - Annual (every `evaluation_interval_months`): due at started_on + k x interval, k >= 1.
 * - Early review (optional, `early_review_months`): due at started_on + early_review_months, when
 *   that comes before the first annual evaluation.
 * - Closure: due CLOSURE_WINDOW_DAYS after the match closes (it is held within two weeks of the end).
 * - A pause pushes every evaluation not yet due when the pause began back by the days paused; while
 *   a match is still paused the days are counted up to `asOf`, so nothing new falls due meanwhile.
 * - A closure cancels the annual evaluations and early review not yet due on the closing day;
 *   those already due stay due until they are recorded.
 * - A match that never started (closed while proposed) has no evaluations, and one whose closure
 *   evaluation was waived (a rematch before the relationship took hold) has no closure evaluation.
 */
export const CLOSURE_WINDOW_DAYS = 14

export type EvaluationKind = 'annual' | 'early_review' | 'closure'

export interface StatusChange {
  from_status: string | null
  to_status: string
  on_date: string
}

export interface MatchTimeline {
  status: string
  started_on: string | null
  closed_on: string | null
  history: StatusChange[]
  closure_evaluation_waived?: boolean
}

export interface ScheduleRules {
  evaluation_interval_months: number
  early_review_months?: number | null
}

export interface ScheduledEvaluation {
  kind: EvaluationKind
  sequence: number
  due_on: string
}

export interface Pause {
  from: string
  to: string | null
}

/** The pauses of a match, in order, from its status history; an open pause has `to` null. */
export function pausesOf(history: StatusChange[]): Pause[] {
  const pauses: Pause[] = []
  let open: string | null = null
  for (const h of history) {
    if (h.to_status === 'paused' && open === null) {
      open = h.on_date
    } else if (open !== null && h.from_status === 'paused' && h.to_status !== 'paused') {
      pauses.push({ from: open, to: h.on_date })
      open = null
    }
  }
  if (open !== null) pauses.push({ from: open, to: null })
  return pauses
}

/** A nominal due date moved back by every pause that began before it fell due. */
export function shiftByPauses(nominal: string, pauses: Pause[], asOf: string): string {
  let due = nominal
  for (const p of pauses) {
    if (p.from >= due) break
    const end = p.to ?? (asOf > p.from ? asOf : p.from)
    due = addDays(due, Math.max(0, daysBetween(p.from, end)))
  }
  return due
}

export class Schedule {
  private readonly pauses: Pause[]

  constructor(
    private readonly match: MatchTimeline,
    private readonly rules: ScheduleRules,
    private readonly asOf: string
  ) {
    this.pauses = pausesOf(match.history)
  }

  get started(): boolean {
    return this.match.started_on !== null
  }

  /** The due date of one evaluation, or null when the match's course cancels it (or it never applies). */
  dueOn(kind: EvaluationKind, sequence: number): string | null {
    const start = this.match.started_on
    if (start === null || sequence < 1) return null
    const closed = this.match.status === 'closed' ? this.match.closed_on : null
    if (kind === 'closure') {
      return closed !== null && sequence === 1 && this.match.closure_evaluation_waived !== true
        ? addDays(closed, CLOSURE_WINDOW_DAYS)
        : null
    }
    let nominal: string
    if (kind === 'early_review') {
      const months = this.rules.early_review_months
      if (months === undefined || months === null || sequence !== 1 || months >= this.rules.evaluation_interval_months)
        return null
      nominal = addMonths(start, months)
    } else {
      nominal = addMonths(start, sequence * this.rules.evaluation_interval_months)
    }
    const due = shiftByPauses(nominal, this.pauses, this.asOf)
    if (closed !== null && due > closed) return null
    return due
  }

  /**
   * Every evaluation that should exist on `asOf`: those due up to it, plus the next annual one, so
   * that the coming evaluation is listed (and reminded of) before it falls due.
   */
  evaluations(): ScheduledEvaluation[] {
    if (!this.started) return []
    const out: ScheduledEvaluation[] = []
    const early = this.dueOn('early_review', 1)
    if (early !== null) out.push({ kind: 'early_review', sequence: 1, due_on: early })
    for (let k = 1; k < 1000; k++) {
      const due = this.dueOn('annual', k)
      if (due === null) break
      out.push({ kind: 'annual', sequence: k, due_on: due })
      if (due > this.asOf) break
    }
    const closure = this.dueOn('closure', 1)
    if (closure !== null) out.push({ kind: 'closure', sequence: 1, due_on: closure })
    return out
  }
}

/** The schedule of a match on a day. */
export function scheduleFor(match: MatchTimeline, rules: ScheduleRules, asOf: string): ScheduledEvaluation[] {
  return new Schedule(match, rules, asOf).evaluations()
}

export interface ExistingEvaluation {
  id: string
  kind: EvaluationKind
  sequence: number
  due_on: string
  status: string
}

export interface SchedulePlan {
  insert: ScheduledEvaluation[]
  move: Array<{ id: string; due_on: string }>
  cancel: string[]
}

/**
 * What to change so the stored evaluations match the schedule: insert the missing ones, move the
 * due dates that changed, cancel those the match's course has cancelled. Completed and cancelled
 * evaluations are history and are left alone; stored ones beyond today's horizon are kept.
 */
export function planSchedule(
  match: MatchTimeline,
  rules: ScheduleRules,
  asOf: string,
  existing: ExistingEvaluation[]
): SchedulePlan {
  const schedule = new Schedule(match, rules, asOf)
  const plan: SchedulePlan = { insert: [], move: [], cancel: [] }
  const stored = new Set(existing.map((e) => `${e.kind}:${e.sequence}`))
  for (const e of existing) {
    if (e.status !== 'due') continue
    const due = schedule.dueOn(e.kind, e.sequence)
    if (due === null) plan.cancel.push(e.id)
    else if (due !== e.due_on) plan.move.push({ id: e.id, due_on: due })
  }
  for (const s of schedule.evaluations()) {
    if (!stored.has(`${s.kind}:${s.sequence}`)) plan.insert.push(s)
  }
  return plan
}
