import type { Kysely } from 'kysely'
import { buildApp } from '../src/app.js'
import type { Config } from '../src/config/config.js'
import { signHs256 } from '../src/auth/dev-token.js'
import { addDays, addMonths, todayIn } from '../src/lib/dates.js'

interface DemoMentor {
  given_name: string
  family_name: string
  gender: string
  cultural_heritage: string
  languages: string[]
  interests: string[]
  skills: string[]
  experience_areas: string[]
  postcode: string
  availability: Array<{ day: string; part: string }>
  delivery_modes: string[]
  programmes: string[]
  /** Months ago the safeguarding training was done: 11.5 makes it expire within the month. */
  safeguardingMonthsAgo: number
  approve: boolean
}

const MENTORS: DemoMentor[] = [
  {
    given_name: 'Grace',
    family_name: 'Adeyemi',
    gender: 'female',
    cultural_heritage: 'Nigerian British',
    languages: ['English', 'Yoruba'],
    interests: ['football', 'drawing', 'music'],
    skills: ['maths', 'art'],
    experience_areas: ['confidence', 'friendships', 'self_esteem'],
    postcode: 'BR1 3AB',
    availability: [
      { day: 'tue', part: 'afternoon' },
      { day: 'thu', part: 'afternoon' }
    ],
    delivery_modes: ['in_person'],
    programmes: ['MOPAC Project', 'Safe Space'],
    safeguardingMonthsAgo: 2,
    approve: true
  },
  {
    given_name: 'Tom',
    family_name: 'Hughes',
    gender: 'male',
    cultural_heritage: 'White British',
    languages: ['English'],
    interests: ['gaming', 'football', 'coding'],
    skills: ['computing', 'job hunting'],
    experience_areas: ['motivation', 'neet_risk', 'job_hunting', 'time_management'],
    postcode: 'BR2 9LP',
    availability: [{ day: 'wed', part: 'evening' }],
    delivery_modes: ['in_person', 'virtual'],
    programmes: ['MOPAC Project', 'Motivating Young Minds'],
    safeguardingMonthsAgo: 4,
    approve: true
  },
  {
    given_name: 'Priya',
    family_name: 'Shah',
    gender: 'female',
    cultural_heritage: 'Indian British',
    languages: ['English', 'Gujarati'],
    interests: ['reading', 'science', 'drawing'],
    skills: ['university applications', 'biology'],
    experience_areas: ['higher_education', 'education_engagement', 'confidence'],
    postcode: 'SE9 5AR',
    availability: [{ day: 'mon', part: 'evening' }],
    delivery_modes: ['virtual'],
    programmes: ['Motivating Young Minds'],
    safeguardingMonthsAgo: 11.5,
    approve: true
  },
  {
    given_name: 'Daniel',
    family_name: 'Osei',
    gender: 'male',
    cultural_heritage: 'Ghanaian British',
    languages: ['English', 'Twi'],
    interests: ['basketball', 'music'],
    skills: ['youth work'],
    experience_areas: ['emotional_regulation', 'exclusion_risk'],
    postcode: 'BR6 0JA',
    availability: [{ day: 'sat', part: 'morning' }],
    delivery_modes: ['in_person'],
    programmes: ['Safe Space'],
    safeguardingMonthsAgo: 1,
    approve: false
  }
]

/**
 * Demo mentors through the API itself (so every rule applies): three vetted and approved, one still in
 * vetting; one's safeguarding training expires within the month, for the expiry alerts. Returns the first
 * mentor's id for a mentor token.
 */
export async function demoCasework(db: Kysely<any>, org: string, config: Config): Promise<string | null> {
  const existing = await db
    .selectFrom('mentors')
    .select('id')
    .where('organisation_id', '=', org)
    .orderBy('created_at')
    .executeTakeFirst()
  if (existing !== undefined) return existing.id as string
  const programmes = await db
    .selectFrom('programmes')
    .select(['id', 'name'])
    .where('organisation_id', '=', org)
    .execute()
  const programmeId = (name: string): string => (programmes.find((p) => p.name === name) as { id: string }).id
  const app = await buildApp({ ...config, LOG_LEVEL: 'warn' })
  const token = signHs256(config.JWT_SECRET as string, {
    sub: 'demo-coordinator',
    org,
    roles: ['coordinator'],
    ...(config.JWT_ISSUER !== undefined ? { iss: config.JWT_ISSUER } : {}),
    ...(config.JWT_AUDIENCE !== undefined ? { aud: config.JWT_AUDIENCE } : {})
  })
  const post = async (url: string, payload: unknown, expected = 201): Promise<any> => {
    const res = await app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${token}` },
      payload: payload as any
    })
    if (res.statusCode !== expected) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
    return res.json()
  }
  const today = todayIn(config.SCHEDULE_TZ)
  const since = addMonths(today, -14)
  let first: string | null = null
  try {
    for (const m of MENTORS) {
      const { programmes: names, safeguardingMonthsAgo, approve, ...profile } = m
      const created = await post('/v1/mentors', {
        ...profile,
        email: `${m.given_name.toLowerCase()}.${m.family_name.toLowerCase()}@volunteer.example`,
        capacity: 1,
        programme_ids: names.map(programmeId)
      })
      const base = `/v1/mentors/${created.id as string}`
      first ??= created.id as string
      await post(`${base}/interviews`, { held_on: since, interviewer: 'Demo Coordinator', outcome: 'passed' })
      for (const referee of ['Referee One', 'Referee Two']) {
        await post(`${base}/references`, {
          referee_name: referee,
          relationship: 'employer',
          requested_on: since,
          received_on: addDays(since, 7),
          satisfactory: true
        })
      }
      await post(`${base}/trainings`, {
        kind: 'initial',
        completed_on: addDays(since, 14),
        hours: 20,
        provider: 'Programme team'
      })
      const months = Math.floor(safeguardingMonthsAgo)
      const safeguardingOn = addDays(addMonths(today, -months), safeguardingMonthsAgo > months ? -15 : 0)
      await post(`${base}/trainings`, {
        kind: 'safeguarding',
        completed_on: safeguardingOn,
        hours: 3,
        provider: 'NSPCC'
      })
      await post(`${base}/dbs-checks`, {
        level: 'enhanced_with_barred_list_children',
        workforce: 'child',
        certificate_number: '001234567890',
        issued_on: addDays(since, 10),
        outcome: 'clear'
      })
      if (approve) await post(`${base}/approve`, {}, 200)
    }
    await demoReferrals(post, programmeId('MOPAC Project'), today)
  } finally {
    await app.close()
  }
  return first
}

/** Three referrals to MOPAC, accepted and waiting for a match, so suggestions and plans have work to do. */
async function demoReferrals(
  post: (url: string, payload: unknown, expected?: number) => Promise<any>,
  programmeId: string,
  today: string
): Promise<void> {
  const people = [
    {
      given_name: 'Amara',
      family_name: 'Demo',
      gender: 'female',
      age: 13,
      postcode: 'BR1 4DD',
      interests: ['drawing', 'football'],
      areas: ['confidence', 'friendships'],
      preference: 'female'
    },
    {
      given_name: 'Kai',
      family_name: 'Demo',
      gender: 'male',
      age: 15,
      postcode: 'BR2 0AA',
      interests: ['gaming', 'coding'],
      areas: ['motivation', 'time_management'],
      preference: 'no_preference'
    },
    {
      given_name: 'Leah',
      family_name: 'Demo',
      gender: 'female',
      age: 12,
      postcode: 'BR3 1AA',
      interests: ['music'],
      areas: ['self_esteem'],
      preference: 'no_preference'
    }
  ]
  for (const [i, p] of people.entries()) {
    const dob = addMonths(today, -12 * p.age - 2)
    const referral = await post('/v1/referrals', {
      programme_id: programmeId,
      young_person: {
        given_name: p.given_name,
        family_name: p.family_name,
        date_of_birth: dob,
        gender: p.gender,
        postcode: p.postcode,
        care_status: 'none',
        school_year: Math.min(13, Math.max(7, p.age - 4)),
        education_setting: { name: 'Demo Academy', urn: `10000${i}` },
        interests: p.interests,
        languages: ['English']
      },
      referrer: {
        name: 'Demo Referrer',
        role: 'Head of Year',
        organisation: 'Demo Academy',
        team: 'Pastoral',
        email: 'teacher@school.example',
        is_parent_or_carer: false
      },
      needs: { areas: p.areas, level: 'medium', statement: 'Demo referral for trying the service.' },
      risks: { cin_plan: false },
      preferences: { mentor_gender: p.preference },
      consent: {
        young_person: { given: true, recorded_on: today, recorded_by: 'Demo Referrer' },
        parental: { given: true, recorded_on: today, name: 'Demo Parent', relationship: 'parent' }
      }
    })
    await post(`/v1/referrals/${referral.id as string}/accept`, {}, 200)
  }
}
