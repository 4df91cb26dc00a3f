import type { FastifyBaseLogger } from 'fastify'
import type { Executor } from '../db/database.js'
import type { ProgrammeRow, ReferralRow } from '../db/types.js'
import type { ProgrammeRules } from '../schemas/programmes.js'
import { AppError, notFound, unknownReference } from '../errors/catalogue.js'
import { ageOn, daysBetween } from '../lib/dates.js'
import { normalisePostcode } from '../lib/postcodes.js'
import { findProgramme } from '../programmes/programmes.repository.js'
import { findReferral } from '../referrals/referrals.repository.js'
import { boundingBox, type Distance } from '../geo/distance.js'
import type { Geocoder } from '../geo/geocoder.js'
import { locate } from '../geo/locality.js'
import {
  clearedAmong,
  mentorForMatching,
  mentorInput,
  unlocatedPostcodes,
  type CandidateFilter
} from './candidates.repository.js'
import { MentorProfileCache } from './profile-cache.js'
import { loadRecords } from '../mentors/compliance.repository.js'
import { clearanceGaps } from '../mentors/compliance.js'
import {
  eligible,
  fitScore,
  hardExclusions,
  pairDistance,
  pairKm,
  prepareMentor,
  prepareSeeker,
  scorePair,
  weightsOf,
  type Context,
  type PreparedMentor,
  type PreparedSeeker,
  type Scored,
  type SeekerInput
} from './score.js'
import type { Reason } from '../errors/catalogue.js'

export interface Suggestion {
  mentor_id: string
  mentor_given_name: string
  score: number
  breakdown: Scored['breakdown']
  reasons: string[]
  distance_km: number
  distance_basis: Distance['basis']
  free_places: number
  excluded_by?: Reason[]
}

/** One per process: profiles are re-read only when they change. */
const profiles = new MentorProfileCache()

export interface MatchingDeps {
  db: Executor
  geocoder: Geocoder | null
  log?: FastifyBaseLogger
}

/** A referral as matching sees it; coordinates from the cache or the geocoder. */
export async function seekerOf(
  deps: MatchingDeps,
  referral: ReferralRow,
  today: string,
  located?: Map<string, { latitude: number; longitude: number } | null>
): Promise<SeekerInput> {
  const yp = referral.young_person
  const postcode = normalisePostcode(yp.postcode)
  const where = located ?? (await locate(deps.db, deps.geocoder, [postcode], deps.log))
  const at = where.get(postcode) ?? null
  return {
    referral_id: referral.id,
    gender_preference: referral.preferences?.mentor_gender ?? 'no_preference',
    ethnicity: yp.ethnicity ?? null,
    languages: yp.languages ?? [],
    interests: yp.interests ?? [],
    needs_areas: referral.needs.areas,
    aspirations: yp.aspirations ?? null,
    postcode,
    latitude: at?.latitude ?? null,
    longitude: at?.longitude ?? null,
    age: ageOn(yp.date_of_birth, today),
    referrer_organisation: referral.referrer.organisation
  }
}

const GENDERS: Record<string, string[]> = {
  male: ['m', 'male', 'man', 'boy', 'trans man', 'trans male'],
  female: ['f', 'female', 'woman', 'girl', 'trans woman', 'trans female']
}
const MODES: Record<string, string[]> = {
  in_person: ['in_person'],
  virtual: ['virtual'],
  blended: ['in_person', 'virtual']
}

/** The SQL pre-filter for a young person: only rules that are certain, so nothing eligible is lost. */
export function filterFor(s: SeekerInput, rules: ProgrammeRules): CandidateFilter {
  const maxKm = rules.matching.max_distance_km
  return {
    modes: MODES[rules.delivery.mode] ?? [],
    genders: GENDERS[s.gender_preference] ?? null,
    excludeCareSystem: rules.mentor_requirements.independent_of_care_system,
    box:
      maxKm !== undefined && rules.delivery.mode !== 'virtual' && s.latitude !== null && s.longitude !== null
        ? boundingBox(s.latitude, s.longitude, maxKm)
        : null
  }
}

async function loadAccepted(
  db: Executor,
  org: string,
  referralId: string
): Promise<{ referral: ReferralRow; programme: ProgrammeRow }> {
  const referral = await findReferral(db, { org }, referralId)
  if (referral === undefined) throw notFound('Referral')
  if (referral.status !== 'accepted') {
    throw new AppError(
      'invalid_transition',
      `Mentors are suggested for accepted referrals; this one is ${referral.status}`,
      {
        reasons: [
          { code: 'referral_not_waiting', message: `The referral is ${referral.status}, not waiting for a match` }
        ]
      }
    )
  }
  const programme = await findProgramme(db, org, referral.programme_id)
  if (programme === undefined) throw notFound('Programme')
  return { referral, programme }
}

function suggestion(s: PreparedSeeker, m: PreparedMentor, ctx: Context, excluded?: Reason[]): Suggestion {
  const d = pairDistance(s, m)
  const scored = scorePair(s, m, ctx, d)
  return {
    mentor_id: m.input.id,
    mentor_given_name: m.input.given_name,
    score: scored.score,
    breakdown: scored.breakdown,
    reasons: scored.reasons,
    distance_km: Math.round(d.km * 10) / 10,
    distance_basis: d.basis,
    free_places: Math.max(0, m.input.capacity - m.input.places_in_use),
    ...(excluded !== undefined ? { excluded_by: excluded } : {})
  }
}

/** Geocodes, once, mentors of the programme the cache knows nothing about. */
async function locateMentors(deps: MatchingDeps, org: string, programmeId: string): Promise<void> {
  if (deps.geocoder === null) return
  const missing = await unlocatedPostcodes(deps.db, org, programmeId)
  if (missing.length > 0) await locate(deps.db, deps.geocoder, missing, deps.log)
}

/**
 * Ranked mentors for an accepted referral. SQL keeps the approved mentors of the programme with a free
 * place and the right modes and gender; JS scores them all, then clearance (the costliest rule) is
 * checked for the best first, chunk by chunk, until `limit` cleared mentors are found.
 */
export async function suggestMentors(
  deps: MatchingDeps,
  org: string,
  referralId: string,
  today: string,
  limit: number
): Promise<Suggestion[]> {
  const { referral, programme } = await loadAccepted(deps.db, org, referralId)
  const rules = programme.rules
  await locateMentors(deps, org, programme.id)
  const seekerInput = await seekerOf(deps, referral, today)
  const seeker = prepareSeeker(seekerInput)
  const ctx: Context = { rules, today }
  const weights = weightsOf(rules)
  const mentors = await profiles.mentors(deps.db, org, programme.id)
  const quick = quickFilter(seekerInput, rules)
  const ranked: Array<{ m: PreparedMentor; fit: number }> = []
  for (const m of mentors) {
    if (!quick(m)) continue
    const km = pairKm(seeker, m)
    if (!eligible(seeker, m, ctx, km)) continue
    ranked.push({ m, fit: fitScore(seeker, m, ctx, km, weights) })
  }
  ranked.sort((a, b) => b.fit - a.fit || (a.m.input.id < b.m.input.id ? -1 : 1))
  const out: Suggestion[] = []
  let chunk = Math.max(limit * 2, 20)
  for (let i = 0; i < ranked.length && out.length < limit; i += chunk, chunk *= 2) {
    const slice = ranked.slice(i, i + chunk)
    const cleared = await clearedAmong(
      deps.db,
      org,
      programme.id,
      today,
      slice.map((r) => r.m.input.id)
    )
    for (const r of slice) {
      if (out.length >= limit) break
      if (cleared.has(r.m.input.id)) out.push(suggestion(seeker, r.m, ctx))
    }
  }
  return out
}

/** The cheap hard rules as one predicate, so most excluded mentors cost no more than a few comparisons. */
function quickFilter(s: SeekerInput, rules: ProgrammeRules): (m: PreparedMentor) => boolean {
  const gender = s.gender_preference === 'male' || s.gender_preference === 'female' ? s.gender_preference : null
  const inPerson = rules.delivery.mode !== 'virtual'
  const virtual = rules.delivery.mode !== 'in_person'
  const independent = rules.mentor_requirements.independent_of_care_system
  return (m) =>
    m.input.places_in_use < m.input.capacity &&
    (gender === null || m.gender === gender) &&
    (!inPerson || m.modes.has('in_person')) &&
    (!virtual || m.modes.has('virtual')) &&
    !(independent && m.input.works_in_care_system)
}

/**
 * The hard rules excluding a mentor, with "not cleared" spelled out: each missing piece (approval, DBS,
 * references, safeguarding training...) its own reason, as approval names them.
 */
async function spelledOut(
  db: Executor,
  org: string,
  programme: ProgrammeRow,
  mentorId: string,
  name: string,
  today: string,
  reasons: Reason[]
): Promise<Reason[]> {
  const at = reasons.findIndex((r) => r.code === 'not_cleared')
  if (at < 0) return reasons
  const records = (await loadRecords(db, org, [mentorId])).get(mentorId)
  const gaps = records === undefined ? [] : clearanceGaps(records, programme, name, today)
  return gaps.length === 0 ? reasons : [...reasons.slice(0, at), ...gaps, ...reasons.slice(at + 1)]
}

/** One mentor against the referral: its fit, and every hard rule that excludes it (empty when none). */
export async function explainMentor(
  deps: MatchingDeps,
  org: string,
  referralId: string,
  mentorId: string,
  today: string
): Promise<Suggestion> {
  const { referral, programme } = await loadAccepted(deps.db, org, referralId)
  const rules = programme.rules
  const row = await mentorForMatching(deps.db, org, programme.id, mentorId)
  if (row === undefined) {
    throw new AppError('validation_failed', 'No such mentor', {
      errors: [{ path: 'query/mentor_id', message: 'is not a mentor of your organisation' }]
    })
  }
  if (row.latitude === null && deps.geocoder !== null) {
    const at = (await locate(deps.db, deps.geocoder, [row.postcode as string], deps.log)).get(
      normalisePostcode(row.postcode as string)
    )
    if (at !== undefined && at !== null) {
      row.latitude = at.latitude
      row.longitude = at.longitude
    }
  }
  const cleared = await clearedAmong(deps.db, org, programme.id, today, [mentorId])
  const seeker = prepareSeeker(await seekerOf(deps, referral, today))
  const m = prepareMentor(mentorInput(row, row.places_in_use, row.serves_programme, cleared.has(mentorId)))
  const ctx: Context = { rules, today }
  const excluded = await spelledOut(
    deps.db,
    org,
    programme,
    mentorId,
    row.given_name,
    today,
    hardExclusions(seeker, m, ctx, pairDistance(seeker, m))
  )
  return suggestion(seeker, m, ctx, excluded)
}

/** Re-checks every hard rule for a pair about to become a match; throws 409/422 naming the rules. */
export async function assertMatchable(
  deps: MatchingDeps,
  org: string,
  referral: ReferralRow,
  programme: ProgrammeRow,
  mentorId: string,
  today: string
): Promise<void> {
  const rules = programme.rules
  const row = await mentorForMatching(deps.db, org, programme.id, mentorId)
  if (row === undefined) {
    throw unknownReference('body/mentor_id', 'is not a mentor of your organisation')
  }
  const cleared = await clearedAmong(deps.db, org, programme.id, today, [mentorId])
  const seeker = prepareSeeker(await seekerOf(deps, referral, today))
  const m = prepareMentor({ ...row, cleared: cleared.has(mentorId) })
  const reasons = await spelledOut(
    deps.db,
    org,
    programme,
    mentorId,
    row.given_name,
    today,
    hardExclusions(seeker, m, { rules, today }, pairDistance(seeker, m))
  )
  if (reasons.length === 0) return
  const onlyCapacity = reasons.every((r) => r.code === 'no_capacity')
  throw new AppError(onlyCapacity ? 'conflict' : 'rule_refused', reasons.map((r) => r.message).join('; '), { reasons })
}

export const waitingDays = (acceptedAt: Date | null, today: string): number =>
  acceptedAt === null ? 0 : Math.max(0, daysBetween(acceptedAt.toISOString().slice(0, 10), today))
