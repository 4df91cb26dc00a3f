import t from 'tap'
import { Value } from 'typebox/value'
import { ProgrammeRulesSchema, type ProgrammeRules } from '../../src/schemas/programmes.js'
import {
  hardExclusions,
  likelySlots,
  normaliseGender,
  pairDistance,
  prepareMentor,
  prepareSeeker,
  rankMentors,
  scorePair,
  slotBit,
  weightsOf,
  type MentorInput,
  type SeekerInput
} from '../../src/matching/score.js'
import { distanceBetween, haversineKm, postcodeKeys } from '../../src/geo/distance.js'

const rules = (r: Record<string, unknown> = {}): ProgrammeRules =>
  Value.Default(ProgrammeRulesSchema, structuredClone(r)) as ProgrammeRules

const mentor = (o: Partial<MentorInput> = {}): MentorInput => ({
  id: '00000000-0000-4000-8000-000000000001',
  given_name: 'Ada',
  gender: 'Female',
  cultural_heritage: 'Somali British',
  languages: ['English', 'Somali'],
  interests: ['football'],
  skills: ['CV writing'],
  experience_areas: ['confidence'],
  experience_summary: 'Youth worker; ran a coding club',
  postcode: 'BR1 3AB',
  latitude: null,
  longitude: null,
  availability: [{ day: 'tue', part: 'evening' }],
  delivery_modes: ['in_person'],
  capacity: 1,
  places_in_use: 0,
  professional_background: null,
  works_in_care_system: false,
  serves_programme: true,
  cleared: true,
  ...o
})
const seeker = (o: Partial<SeekerInput> = {}): SeekerInput => ({
  referral_id: 'r',
  gender_preference: 'no_preference',
  ethnicity: 'Somali',
  languages: ['Somali', 'English'],
  interests: ['Football', 'art'],
  needs_areas: ['confidence', 'friendships'],
  aspirations: 'Wants to study coding at college',
  postcode: 'BR1 3AB',
  latitude: null,
  longitude: null,
  age: 14,
  referrer_organisation: 'Ravens Wood School',
  ...o
})
const today = '2026-11-23'

t.test('genders, times and distances', async (t) => {
  t.equal(normaliseGender(' Woman '), 'female')
  t.equal(normaliseGender('M'), 'male')
  t.equal(normaliseGender('non-binary'), 'other')
  const school = likelySlots(14)
  t.equal(school & slotBit('mon', 'morning'), 0, 'a school-age young person is at school on weekday mornings')
  t.not(school & slotBit('sat', 'morning'), 0)
  t.not(likelySlots(20) & slotBit('mon', 'morning'), 0)
  t.ok(Math.abs(haversineKm(51.5074, -0.1278, 48.8566, 2.3522) - 343.5) < 2, 'London to Paris')
  t.same(
    distanceBetween(
      { keys: postcodeKeys('BR1 3AB'), latitude: null, longitude: null },
      { keys: postcodeKeys('br13ax'), latitude: null, longitude: null }
    ).basis,
    'sector'
  )
  t.same(
    distanceBetween(
      { keys: postcodeKeys('BR1 3AB'), latitude: null, longitude: null },
      { keys: postcodeKeys('BR2 3AX'), latitude: null, longitude: null }
    ).basis,
    'area'
  )
})

t.test('each hard rule', async (t) => {
  const s = prepareSeeker(seeker({ gender_preference: 'male' }))
  const m = prepareMentor(
    mentor({
      cleared: false,
      places_in_use: 1,
      serves_programme: false,
      works_in_care_system: true,
      delivery_modes: ['virtual']
    })
  )
  const r = rules({
    delivery: { mode: 'blended' },
    mentor_requirements: { independent_of_care_system: true },
    matching: { max_distance_km: 0.1 }
  })
  const codes = hardExclusions(s, m, { rules: r, today }, pairDistance(s, m)).map((x) => x.code)
  t.same(codes, [
    'not_in_programme',
    'not_cleared',
    'no_capacity',
    'delivery_mode',
    'gender_preference',
    'not_independent',
    'too_far'
  ])
  const fine = prepareMentor(mentor())
  t.same(
    hardExclusions(
      prepareSeeker(seeker()),
      fine,
      { rules: rules(), today },
      pairDistance(prepareSeeker(seeker()), fine)
    ),
    []
  )
  const virtual = rules({ delivery: { mode: 'virtual' }, matching: { max_distance_km: 1 } })
  const far = prepareMentor(mentor({ postcode: 'M1 1AA', delivery_modes: ['virtual'] }))
  t.same(
    hardExclusions(prepareSeeker(seeker()), far, { rules: virtual, today }, pairDistance(prepareSeeker(seeker()), far)),
    [],
    'distance is no limit online'
  )
})

t.test('prior involvement and its gap', async (t) => {
  const r = rules({ mentor_requirements: { prior_professional_gap_months: 3, max_prior_professional_gap_months: 24 } })
  const s = prepareSeeker(seeker({ referrer_organisation: 'Stockport Leaving Care Team' }))
  const check = (bg: MentorInput['professional_background']): string[] => {
    const m = prepareMentor(mentor({ professional_background: bg }))
    return hardExclusions(s, m, { rules: r, today }, pairDistance(s, m)).map((x) => x.code)
  }
  t.same(check(null), ['prior_involvement'])
  t.same(check({ role: 'PA', organisation: 'stockport leaving care team', involvement_ended_on: '2026-06-01' }), [])
  t.same(check({ role: 'PA', organisation: 'Stockport Leaving Care Team', involvement_ended_on: '2026-10-01' }), [
    'prior_involvement_gap'
  ])
  t.same(check({ role: 'PA', organisation: 'Stockport Leaving Care Team', involvement_ended_on: '2020-10-01' }), [
    'prior_involvement_gap'
  ])
  t.same(check({ role: 'Teacher', organisation: 'A School', involvement_ended_on: '2026-06-01' }), [
    'prior_involvement'
  ])
})

t.test('the soft score, its breakdown and reasons', async (t) => {
  const s = prepareSeeker(seeker())
  const m = prepareMentor(mentor())
  const scored = scorePair(s, m, { rules: rules(), today })
  t.equal(scored.breakdown.interests.value, 0.5, 'one of two interests')
  t.equal(scored.breakdown.culture.value, 0.6, 'related heritage')
  t.equal(scored.breakdown.language.value, 1, 'first language shared')
  t.ok(scored.breakdown.experience.value > 0.375 && scored.breakdown.experience.value < 1)
  t.equal(scored.breakdown.distance.value, 1 - 0.2 / 25)
  t.equal(scored.breakdown.availability.value, 0.3333)
  const total = Object.values(scored.breakdown).reduce((a, c) => a + c.weighted, 0)
  t.ok(Math.abs(total - scored.score) < 0.001)
  t.ok(scored.reasons.includes("Speaks Somali, the young person's first language"), scored.reasons.join(' | '))
  t.ok(scored.reasons.some((r) => r.includes('aspirations (coding)')))
  const onlyInterests = rules({
    matching: { weights: { interests: 1, culture: 0, language: 0, experience: 0, distance: 0, availability: 0 } }
  })
  t.equal(scorePair(s, m, { rules: onlyInterests, today }).score, 0.5, 'weights come from the programme')
  t.same(
    weightsOf(
      rules({
        matching: { weights: { interests: 0, culture: 0, language: 0, experience: 0, distance: 0, availability: 0 } }
      })
    ).interests,
    1,
    'all zero: equal weights'
  )
})

t.test('ranking', async (t) => {
  const s = prepareSeeker(seeker())
  const ms = [
    prepareMentor(mentor({ id: 'a', interests: [] })),
    prepareMentor(mentor({ id: 'b', interests: ['football', 'art'] })),
    prepareMentor(mentor({ id: 'c', cleared: false, interests: ['football', 'art'] }))
  ]
  t.same(
    rankMentors(s, ms, { rules: rules(), today }, 5).map((x) => x.mentor_id),
    ['b', 'a']
  )
})
