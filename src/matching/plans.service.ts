import type { Caller } from '../auth/roles.js'
import type { MatchingPlanRow, ReferralRow } from '../db/types.js'
import { notFound, unknownReference } from '../errors/catalogue.js'
import { normalisePostcode } from '../lib/postcodes.js'
import { findProgramme } from '../programmes/programmes.repository.js'
import { clearedMentorIds } from '../mentors/compliance.repository.js'
import { locate } from '../geo/locality.js'
import { candidateMentors, mentorInput, unlocatedPostcodes } from './candidates.repository.js'
import { optimalAssignment } from './assignment.js'
import {
  eligible,
  fitScore,
  pairKm,
  prepareMentor,
  prepareSeeker,
  scorePair,
  weightsOf,
  type Context,
  type PreparedMentor,
  type PreparedSeeker
} from './score.js'
import { seekerOf, waitingDays, type MatchingDeps } from './matching.service.js'
import * as repo from './plans.repository.js'
import { jsonOf } from '../db/json.js'

/**
 * Waiting time as a priority: a referral waiting a year gains 0.25 on the 0..1 fit scale, in
 * proportion below that. So among pairs whose fit differs by less than that, the longer wait wins a
 * scarce mentor, while a much better fit still counts for more.
 */
export const PRIORITY_PER_YEAR = 0.25
export const priorityOf = (days: number): number =>
  Math.round(((PRIORITY_PER_YEAR * Math.min(days, 365)) / 365) * 10000) / 10000

const SCALE = 10000

/** A plan as stored (each read works out a pair's `state` and `match_id`). */
export type PlanPair = MatchingPlanRow['pairs'][number]
export type PlanUnmatched = MatchingPlanRow['unmatched'][number]
export type PlanSummary = MatchingPlanRow['summary']

export interface PlanProblem {
  seekers: PreparedSeeker[]
  referrals: ReferralRow[]
  mentors: PreparedMentor[]
  ctx: Context
  today: string
}

/** The exact plan for prepared referrals and mentors; pure, so the benchmark can run it directly. */
export function solvePlan(p: PlanProblem): { pairs: PlanPair[]; unmatched: PlanUnmatched[]; summary: PlanSummary } {
  const started = performance.now()
  const weights = weightsOf(p.ctx.rules)
  const waits = p.referrals.map((r) => waitingDays(r.accepted_at, p.today))
  const priorities = waits.map(priorityOf)
  const n = p.seekers.length
  const m = p.mentors.length
  // Integer weights (fit + priority, to 4 decimals) so the optimum is exact; 0 marks a forbidden pair.
  const w = new Int32Array(n * m)
  const eligibleCount = new Int32Array(n)
  for (let i = 0; i < n; i += 1) {
    const s = p.seekers[i]
    for (let j = 0; j < m; j += 1) {
      const mentor = p.mentors[j]
      const km = pairKm(s, mentor)
      if (!eligible(s, mentor, p.ctx, km)) continue
      w[i * m + j] = 1 + Math.round((fitScore(s, mentor, p.ctx, km, weights) + priorities[i]) * SCALE)
      eligibleCount[i] += 1
    }
  }
  const scored = performance.now()
  const capacities = p.mentors.map((x) => Math.max(0, x.input.capacity - x.input.places_in_use))
  const result = optimalAssignment({
    rows: n,
    capacities,
    weight: (i, j) => (w[i * m + j] === 0 ? null : w[i * m + j])
  })
  const pairs: PlanPair[] = []
  const unmatched: PlanUnmatched[] = []
  let totalFit = 0
  result.assignment.forEach((j, i) => {
    const r = p.referrals[i]
    if (j < 0) {
      unmatched.push({
        referral_id: r.id,
        reference: r.reference,
        waiting_days: waits[i],
        reason:
          eligibleCount[i] === 0
            ? 'No cleared mentor with a free place meets the hard rules for this young person'
            : 'The mentors who could take this young person are proposed for others, for a better plan overall'
      })
      return
    }
    const mentor = p.mentors[j]
    const scored = scorePair(p.seekers[i], mentor, p.ctx, undefined, weights)
    totalFit += scored.score
    pairs.push({
      referral_id: r.id,
      reference: r.reference,
      mentor_id: mentor.input.id,
      mentor_given_name: mentor.input.given_name,
      score: scored.score,
      priority: priorities[i],
      waiting_days: waits[i],
      reasons: scored.reasons
    })
  })
  const paired = pairs.length
  return {
    pairs,
    unmatched,
    summary: {
      referrals: n,
      mentors: m,
      places: capacities.reduce((a, b) => a + b, 0),
      pairs: paired,
      total_fit: Math.round(totalFit * 10000) / 10000,
      // The +1 per pair that marks an allowed pair is taken back out.
      objective: Math.round(((result.total - paired) / SCALE) * 10000) / 10000,
      bound: Math.round(((result.bound - paired) / SCALE) * 10000) / 10000,
      optimal: result.certified,
      method: 'hungarian',
      elapsed_ms: Math.round(performance.now() - started),
      scoring_ms: Math.round(scored - started)
    }
  }
}

export async function createPlan(
  deps: MatchingDeps,
  caller: Caller,
  programmeId: string,
  today: string
): Promise<MatchingPlanRow> {
  const org = caller.org as string
  const programme = await findProgramme(deps.db, org, programmeId)
  if (programme === undefined) {
    throw unknownReference('body/programme_id', 'is not a programme of your organisation')
  }
  const rules = programme.rules
  const referrals = await repo.waitingReferrals(deps.db, org, programme.id)
  if (deps.geocoder !== null) {
    const missing = await unlocatedPostcodes(deps.db, org, programme.id)
    if (missing.length > 0) await locate(deps.db, deps.geocoder, missing, deps.log)
  }
  const located = await locate(
    deps.db,
    deps.geocoder,
    referrals.map((r) => normalisePostcode(r.young_person.postcode)),
    deps.log
  )
  const seekers = await Promise.all(referrals.map(async (r) => prepareSeeker(await seekerOf(deps, r, today, located))))
  const cleared = await clearedMentorIds(deps.db, org, programme.id, today)
  const rows = await candidateMentors(deps.db, org, programme.id, {
    modes: rules.delivery.mode === 'blended' ? ['in_person', 'virtual'] : [rules.delivery.mode],
    genders: null,
    excludeCareSystem: rules.mentor_requirements.independent_of_care_system,
    box: null
  })
  const mentors = rows
    .filter((r) => cleared.has(r.id))
    .map((r) => prepareMentor(mentorInput(r, r.places_in_use, true, true)))
  const plan = solvePlan({ seekers, referrals, mentors, ctx: { rules, today }, today })
  return await repo.insertPlan(deps.db, {
    organisation_id: org,
    programme_id: programme.id,
    as_of: today,
    pairs: jsonOf(plan.pairs),
    unmatched: jsonOf(plan.unmatched),
    summary: jsonOf(plan.summary),
    created_by: caller.sub
  })
}

export async function getPlan(
  deps: MatchingDeps,
  org: string,
  id: string
): Promise<{ row: MatchingPlanRow; matches: Map<string, { id: string; mentor_id: string }> }> {
  const row = await repo.findPlan(deps.db, org, id)
  if (row === undefined) throw notFound('Plan')
  const pairs = row.pairs
  const matches = await repo.matchesSince(
    deps.db,
    org,
    pairs.map((p) => p.referral_id),
    row.created_at
  )
  return { row, matches }
}
