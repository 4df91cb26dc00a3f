import type { ProgrammeRules } from '../schemas/programmes.js'
import type { Reason } from '../errors/catalogue.js'
import { addMonths } from '../lib/dates.js'
import { distanceBetween, haversineKm, postcodeKeys, type Distance, type PostcodeKeys } from '../geo/distance.js'

/**
 * Matching of a young person with mentors: the hard rules that exclude a mentor, then a weighted soft
 * score in 0..1 whose parts are explained in plain words. Pure functions over prepared profiles, so the
 * same code ranks one referral's candidates and fills a whole plan.
 */

export const COMPONENTS = ['interests', 'culture', 'language', 'experience', 'distance', 'availability'] as const
export type Component = (typeof COMPONENTS)[number]
export type Weights = Record<Component, number>

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export const PARTS = ['morning', 'afternoon', 'evening'] as const
export interface Slot {
  day: string
  part: string
}

export interface MentorInput {
  id: string
  given_name: string
  gender: string
  cultural_heritage: string | null
  languages: string[]
  interests: string[]
  skills: string[]
  experience_areas: string[]
  experience_summary: string | null
  postcode: string | null
  latitude: number | null
  longitude: number | null
  availability: Slot[]
  delivery_modes: string[]
  capacity: number
  places_in_use: number
  professional_background: { role?: string; organisation?: string; involvement_ended_on?: string } | null
  works_in_care_system: boolean
  /** Linked to the programme through mentor_programmes. */
  serves_programme: boolean
  /** Cleared today under the programme's mentor requirements. */
  cleared: boolean
}

export interface SeekerInput {
  referral_id: string
  gender_preference: string
  ethnicity: string | null
  languages: string[]
  interests: string[]
  needs_areas: string[]
  aspirations: string | null
  postcode: string | null
  latitude: number | null
  longitude: number | null
  age: number
  referrer_organisation: string
}

export interface Context {
  rules: ProgrammeRules
  today: string
}

/** A mentor with its text turned into sets and bit masks once, however many referrals it is scored against. */
export interface PreparedMentor {
  input: MentorInput
  gender: 'male' | 'female' | 'other'
  heritage: string
  heritageWords: Set<string>
  languages: string[]
  tags: Set<string>
  experience: Set<string>
  words: Set<string>
  keys: PostcodeKeys | null
  slots: number
  modes: Set<string>
  organisation: string
  /** Coordinates, NaN when unknown: plain numbers on a fixed shape for the hot loop. */
  lat: number
  lon: number
}

export interface PreparedSeeker {
  input: SeekerInput
  heritage: string
  heritageWords: Set<string>
  languages: string[]
  interests: string[]
  needs: string[]
  aspirationWords: string[]
  keys: PostcodeKeys | null
  slots: number
  organisation: string
  lat: number
  lon: number
}

export interface ComponentScore {
  value: number
  weight: number
  weighted: number
}
export type Breakdown = Record<Component, ComponentScore>

export interface Scored {
  mentor_id: string
  score: number
  breakdown: Breakdown
  reasons: string[]
  distance: Distance
}

const norm = (s: string): string => s.trim().toLowerCase().replace(/\s+/g, ' ')
const STOP = new Set([
  'and',
  'the',
  'other',
  'mixed',
  'background',
  'any',
  'of',
  'with',
  'for',
  'a',
  'an',
  'in',
  'to',
  'on',
  'at',
  'be',
  'my',
  'i',
  'want',
  'would',
  'like',
  'become',
  'go',
  'get',
  'into'
])
const wordsOf = (s: string | null): string[] =>
  s === null
    ? []
    : norm(s)
        .split(/[^a-z0-9]+/)
        .filter((w) => w.length >= 3 && !STOP.has(w))

export function normaliseGender(g: string): 'male' | 'female' | 'other' {
  const v = norm(g)
  if (['m', 'male', 'man', 'boy', 'trans man', 'trans male'].includes(v)) return 'male'
  if (['f', 'female', 'woman', 'girl', 'trans woman', 'trans female'].includes(v)) return 'female'
  return 'other'
}

export const slotBit = (day: string, part: string): number => {
  const d = DAYS.indexOf(day as (typeof DAYS)[number])
  const p = PARTS.indexOf(part as (typeof PARTS)[number])
  return d < 0 || p < 0 ? 0 : 1 << (d * 3 + p)
}
const bitCount = (n: number): number => {
  let c = 0
  while (n !== 0) {
    n &= n - 1
    c += 1
  }
  return c
}

/**
 * When a young person can usually meet: referrals do not record it, so it follows from age. Under 19
 * (in school or college): weekday afternoons and evenings, and weekends; older: any time.
 */
export function likelySlots(age: number): number {
  let mask = 0
  for (const day of DAYS) {
    for (const part of PARTS) {
      const weekend = day === 'sat' || day === 'sun'
      if (age >= 19 || weekend || part !== 'morning') mask |= slotBit(day, part)
    }
  }
  return mask
}

export function prepareMentor(m: MentorInput): PreparedMentor {
  const tags = new Set([...m.interests, ...m.skills].map(norm))
  const words = new Set([
    ...[...tags].flatMap((t) => wordsOf(t)),
    ...wordsOf(m.experience_summary),
    ...wordsOf(m.professional_background?.role ?? null)
  ])
  let slots = 0
  for (const s of m.availability) slots |= slotBit(s.day, s.part)
  return {
    input: m,
    gender: normaliseGender(m.gender),
    heritage: m.cultural_heritage === null ? '' : norm(m.cultural_heritage),
    heritageWords: new Set(wordsOf(m.cultural_heritage)),
    languages: m.languages.map(norm),
    tags,
    experience: new Set(m.experience_areas),
    words,
    keys: postcodeKeys(m.postcode),
    slots,
    modes: new Set(m.delivery_modes),
    organisation: norm(m.professional_background?.organisation ?? ''),
    lat: m.latitude ?? Number.NaN,
    lon: m.longitude ?? Number.NaN
  }
}

export function prepareSeeker(s: SeekerInput): PreparedSeeker {
  return {
    input: s,
    heritage: s.ethnicity === null ? '' : norm(s.ethnicity),
    heritageWords: new Set(wordsOf(s.ethnicity)),
    languages: s.languages.map(norm),
    interests: [...new Set(s.interests.map(norm))],
    needs: s.needs_areas.filter((a) => a !== 'other'),
    aspirationWords: [...new Set(wordsOf(s.aspirations))],
    keys: postcodeKeys(s.postcode),
    slots: likelySlots(s.age),
    organisation: norm(s.referrer_organisation),
    lat: s.latitude ?? Number.NaN,
    lon: s.longitude ?? Number.NaN
  }
}

const MODE_NEEDS: Record<string, string[]> = {
  in_person: ['in_person'],
  virtual: ['virtual'],
  blended: ['in_person', 'virtual']
}
const MODE_WORDS: Record<string, string> = { in_person: 'in-person', virtual: 'virtual' }

/** Is the programme one where the mentor must be a former professional of the young person (Pure Insight)? */
export const needsPriorInvolvement = (rules: ProgrammeRules): boolean =>
  rules.mentor_requirements.prior_professional_gap_months !== undefined

const km = (d: number): string => (d < 10 ? d.toFixed(1) : String(Math.round(d)))

/**
 * Every hard rule that keeps this mentor from this young person, in plain words. Empty when none does.
 * Distance needs the pair's distance, computed by the caller once.
 */
export function hardExclusions(s: PreparedSeeker, m: PreparedMentor, ctx: Context, distance: Distance): Reason[] {
  const out: Reason[] = []
  const r = ctx.rules
  const mi = m.input
  if (!mi.serves_programme)
    out.push({ code: 'not_in_programme', message: `${mi.given_name} does not volunteer on this programme` })
  if (!mi.cleared)
    out.push({
      code: 'not_cleared',
      message: `${mi.given_name} is not cleared to mentor on this programme today (approval, DBS, references or safeguarding training)`
    })
  if (mi.places_in_use >= mi.capacity)
    out.push({
      code: 'no_capacity',
      message: `${mi.given_name} has no free place: ${mi.places_in_use} of ${mi.capacity} in use`
    })
  const missing = (MODE_NEEDS[r.delivery.mode] ?? []).filter((mode) => !m.modes.has(mode))
  if (missing.length > 0)
    out.push({
      code: 'delivery_mode',
      message: `The programme is delivered ${r.delivery.mode.replace('_', '-')}; ${mi.given_name} does not offer ${missing.map((x) => MODE_WORDS[x]).join(' or ')} sessions`
    })
  const pref = s.input.gender_preference
  if ((pref === 'male' || pref === 'female') && m.gender !== pref)
    out.push({ code: 'gender_preference', message: `The young person asked for a ${pref} mentor` })
  if (r.mentor_requirements.independent_of_care_system && mi.works_in_care_system) {
    out.push({
      code: 'not_independent',
      message: `${mi.given_name} works in the care system; this programme needs mentors independent of it`
    })
  }
  if (needsPriorInvolvement(r)) {
    const bg = mi.professional_background
    const related =
      m.organisation !== '' &&
      s.organisation !== '' &&
      (m.organisation.includes(s.organisation) || s.organisation.includes(m.organisation))
    if (bg === null || !related) {
      out.push({
        code: 'prior_involvement',
        message: `This programme matches a young person with a professional who knew them; ${mi.given_name}'s professional role was not with the referring organisation`
      })
    } else if (bg.involvement_ended_on !== undefined) {
      const gap = r.mentor_requirements.prior_professional_gap_months as number
      const from = addMonths(bg.involvement_ended_on, gap)
      if (from > ctx.today)
        out.push({
          code: 'prior_involvement_gap',
          message: `${mi.given_name}'s professional role ended on ${bg.involvement_ended_on}; the programme needs a ${gap}-month gap, so not before ${from}`
        })
      const max = r.mentor_requirements.max_prior_professional_gap_months
      if (max !== undefined && addMonths(bg.involvement_ended_on, max) < ctx.today) {
        out.push({
          code: 'prior_involvement_gap',
          message: `${mi.given_name}'s professional role ended on ${bg.involvement_ended_on}, more than ${max} months ago`
        })
      }
    }
  }
  const maxKm = r.matching.max_distance_km
  if (maxKm !== undefined && r.delivery.mode !== 'virtual' && distance.km > maxKm) {
    out.push({ code: 'too_far', message: `${distanceWords(distance)}; the programme's limit is ${km(maxKm)} km` })
  }
  return out
}

/** `hardExclusions(...).length === 0`, without building any message: for ranking thousands. */
export function eligible(s: PreparedSeeker, m: PreparedMentor, ctx: Context, km: number): boolean {
  const r = ctx.rules
  const mi = m.input
  if (!mi.serves_programme || !mi.cleared || mi.places_in_use >= mi.capacity) return false
  const mode = r.delivery.mode
  if ((mode !== 'virtual' && !m.modes.has('in_person')) || (mode !== 'in_person' && !m.modes.has('virtual')))
    return false
  const pref = s.input.gender_preference
  if ((pref === 'male' || pref === 'female') && m.gender !== pref) return false
  if (r.mentor_requirements.independent_of_care_system && mi.works_in_care_system) return false
  const maxKm = r.matching.max_distance_km
  if (maxKm !== undefined && mode !== 'virtual' && km > maxKm) return false
  // The prior-involvement rule is rare and wordy: judged by the full function.
  return !needsPriorInvolvement(r) || hardExclusions(s, m, ctx, pairDistance(s, m)).length === 0
}

function distanceWords(d: Distance): string {
  switch (d.basis) {
    case 'coordinates':
      return `About ${km(d.km)} km away`
    case 'postcode':
      return 'Same postcode'
    case 'sector':
      return `Same postcode sector, roughly ${km(d.km)} km`
    case 'district':
      return `Same postcode district, roughly ${km(d.km)} km`
    case 'area':
      return `Same postcode area, roughly ${km(d.km)} km`
    default:
      return 'In a different postcode area, too far to estimate'
  }
}

/** The weights of a programme, all zero treated as equal weights. */
export function weightsOf(rules: ProgrammeRules): Weights {
  const w = rules.matching.weights as Weights
  const total = COMPONENTS.reduce((sum, c) => sum + (w[c] ?? 0), 0)
  if (total > 0) return w
  return Object.fromEntries(COMPONENTS.map((c) => [c, 1])) as Weights
}

interface Parts {
  values: Record<Component, number>
  shared: string[]
  sharedLanguage: string | null
  firstLanguage: boolean
  needsCovered: string[]
  aspirationHits: string[]
  culture: 'same' | 'related' | 'none'
  overlap: number
}

function parts(s: PreparedSeeker, m: PreparedMentor, ctx: Context, distance: Distance): Parts {
  const shared: string[] = []
  for (const i of s.interests) if (m.tags.has(i)) shared.push(i)
  const interests = s.interests.length === 0 ? 0 : Math.min(1, shared.length / Math.min(3, s.interests.length))

  let culture: Parts['culture'] = 'none'
  if (s.heritage !== '' && s.heritage === m.heritage) culture = 'same'
  else
    for (const w of s.heritageWords)
      if (m.heritageWords.has(w)) {
        culture = 'related'
        break
      }

  let sharedLanguage: string | null = null
  let firstLanguage = false
  for (let i = 0; i < s.languages.length; i += 1) {
    if (m.languages.includes(s.languages[i])) {
      sharedLanguage = s.input.languages[i].trim()
      firstLanguage = i === 0
      break
    }
  }

  const needsCovered = s.needs.filter((a) => m.experience.has(a))
  const coverage = s.needs.length === 0 ? 0 : needsCovered.length / s.needs.length
  const aspirationHits = s.aspirationWords.filter((w) => m.words.has(w))
  const experience =
    s.aspirationWords.length === 0 ? coverage : 0.75 * coverage + 0.25 * Math.min(1, aspirationHits.length / 2)

  const virtual = ctx.rules.delivery.mode === 'virtual'
  const reach = ctx.rules.matching.max_distance_km ?? 25
  const distanceValue = virtual ? 1 : Math.max(0, 1 - distance.km / Math.max(reach, 1))
  const overlap = bitCount(s.slots & m.slots)

  return {
    values: {
      interests,
      culture: culture === 'same' ? 1 : culture === 'related' ? 0.6 : 0,
      language: sharedLanguage === null ? 0 : firstLanguage ? 1 : 0.6,
      experience,
      distance: distanceValue,
      availability: Math.min(1, overlap / 3)
    },
    shared,
    sharedLanguage,
    firstLanguage,
    needsCovered,
    aspirationHits,
    culture,
    overlap
  }
}

const round = (n: number): number => Math.round(n * 10000) / 10000

/**
 * The weighted fit in 0..1 only, for ranking many mentors: the same arithmetic as `scorePair`
 * without building the reasons, and without allocating (this runs 10,000 times a request).
 */
export function fitScore(
  s: PreparedSeeker,
  m: PreparedMentor,
  ctx: Context,
  km: number,
  weights: Weights = weightsOf(ctx.rules)
): number {
  let shared = 0
  for (const i of s.interests) if (m.tags.has(i)) shared += 1
  const interests = s.interests.length === 0 ? 0 : Math.min(1, shared / Math.min(3, s.interests.length))
  let culture = 0
  if (s.heritage !== '' && s.heritage === m.heritage) culture = 1
  else
    for (const w of s.heritageWords)
      if (m.heritageWords.has(w)) {
        culture = 0.6
        break
      }
  let language = 0
  for (let i = 0; i < s.languages.length; i += 1)
    if (m.languages.includes(s.languages[i])) {
      language = i === 0 ? 1 : 0.6
      break
    }
  let covered = 0
  for (const a of s.needs) if (m.experience.has(a)) covered += 1
  const coverage = s.needs.length === 0 ? 0 : covered / s.needs.length
  let hits = 0
  for (const w of s.aspirationWords) if (m.words.has(w)) hits += 1
  const experience = s.aspirationWords.length === 0 ? coverage : 0.75 * coverage + 0.25 * Math.min(1, hits / 2)
  const rules = ctx.rules
  const distanceValue =
    rules.delivery.mode === 'virtual' ? 1 : Math.max(0, 1 - km / Math.max(rules.matching.max_distance_km ?? 25, 1))
  const availability = Math.min(1, bitCount(s.slots & m.slots) / 3)
  const total =
    weights.interests +
    weights.culture +
    weights.language +
    weights.experience +
    weights.distance +
    weights.availability
  if (total === 0) return 0
  const sum =
    weights.interests * interests +
    weights.culture * culture +
    weights.language * language +
    weights.experience * experience +
    weights.distance * distanceValue +
    weights.availability * availability
  return round(sum / total)
}

const AREA_WORDS = (a: string): string => a.replace(/_/g, ' ')

/** The fit of an eligible pair with its breakdown and the reasons a coordinator reads. */
export function scorePair(
  s: PreparedSeeker,
  m: PreparedMentor,
  ctx: Context,
  distance: Distance = pairDistance(s, m),
  weights: Weights = weightsOf(ctx.rules)
): Scored {
  const p = parts(s, m, ctx, distance)
  let total = 0
  for (const c of COMPONENTS) total += weights[c]
  const breakdown = {} as Breakdown
  let score = 0
  for (const c of COMPONENTS) {
    const weighted = total === 0 ? 0 : (weights[c] * p.values[c]) / total
    breakdown[c] = { value: round(p.values[c]), weight: weights[c], weighted: round(weighted) }
    score += weighted
  }
  const name = m.input.given_name
  const reasons: string[] = []
  if (p.shared.length > 0)
    reasons.push(
      `Shares ${p.shared.length === 1 ? 'an interest' : `${p.shared.length} interests`}: ${p.shared.join(', ')}`
    )
  else if (s.interests.length > 0) reasons.push('No interests in common recorded')
  if (p.culture === 'same') reasons.push('Same cultural heritage as the young person')
  else if (p.culture === 'related') reasons.push("A cultural heritage close to the young person's")
  if (p.sharedLanguage !== null)
    reasons.push(
      p.firstLanguage
        ? `Speaks ${p.sharedLanguage}, the young person's first language`
        : `Speaks ${p.sharedLanguage}, one of the young person's languages`
    )
  if (p.needsCovered.length > 0) reasons.push(`Has experience supporting ${p.needsCovered.map(AREA_WORDS).join(', ')}`)
  else if (s.needs.length > 0) reasons.push("No recorded experience with the young person's needs")
  if (p.aspirationHits.length > 0)
    reasons.push(`Background relevant to the young person's aspirations (${p.aspirationHits.join(', ')})`)
  if (ctx.rules.delivery.mode === 'virtual') reasons.push('Virtual programme: distance does not matter')
  else reasons.push(distanceWords(distance))
  if (p.overlap > 0) reasons.push(`${name} is free at ${p.overlap} of the times the young person can usually meet`)
  else reasons.push(`${name}'s availability does not overlap the times the young person can usually meet`)
  return { mentor_id: m.input.id, score: round(score), breakdown, reasons, distance }
}

export function pairDistance(s: PreparedSeeker, m: PreparedMentor): Distance {
  if (!Number.isNaN(s.lat + s.lon + m.lat + m.lon))
    return { km: haversineKm(s.lat, s.lon, m.lat, m.lon), basis: 'coordinates' }
  return distanceBetween(
    { keys: s.keys, latitude: null, longitude: null },
    { keys: m.keys, latitude: null, longitude: null }
  )
}

/** The pair's distance in km only (no allocation when both have coordinates). */
export function pairKm(s: PreparedSeeker, m: PreparedMentor): number {
  if (!Number.isNaN(s.lat + s.lon + m.lat + m.lon)) return haversineKm(s.lat, s.lon, m.lat, m.lon)
  return pairDistance(s, m).km
}

/** Eligible mentors ranked best first (ties by id, so the order is stable). */
export function rankMentors(s: PreparedSeeker, mentors: PreparedMentor[], ctx: Context, limit: number): Scored[] {
  const weights = weightsOf(ctx.rules)
  const ranked: Array<{ m: PreparedMentor; fit: number }> = []
  for (const m of mentors) {
    const km = pairKm(s, m)
    if (!eligible(s, m, ctx, km)) continue
    ranked.push({ m, fit: fitScore(s, m, ctx, km, weights) })
  }
  ranked.sort((a, b) => b.fit - a.fit || (a.m.input.id < b.m.input.id ? -1 : 1))
  return ranked.slice(0, limit).map((e) => scorePair(s, e.m, ctx, pairDistance(s, e.m), weights))
}
