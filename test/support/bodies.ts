/** Request bodies the API accepts as they are; override any part. */

/** A referral body that a permissive programme accepts. */
export function referralBody(programmeId: string, overrides: Record<string, any> = {}): Record<string, any> {
  const base = {
    programme_id: programmeId,
    young_person: {
      given_name: 'Amara',
      family_name: 'Okonkwo-Test',
      date_of_birth: '2012-03-14',
      gender: 'female',
      postcode: 'BR1 3AB',
      care_status: 'none',
      education_setting: { name: 'Ravens Wood School', urn: '101695' },
      school_year: 9,
      interests: ['football', 'drawing'],
      languages: ['English']
    },
    referrer: {
      name: 'Sam Teacher',
      role: 'Head of Year',
      organisation: 'Ravens Wood School',
      team: 'Pastoral',
      email: 'sam.teacher@school.example',
      is_parent_or_carer: false
    },
    needs: {
      areas: ['confidence', 'friendships'],
      level: 'medium',
      statement: 'Finding it hard to settle after a move.'
    },
    risks: { cin_plan: false, specialist_camhs_active: false, history_of_violence: false },
    preferences: { mentor_gender: 'female' },
    consent: {
      young_person: { given: true, recorded_on: '2026-11-01', recorded_by: 'Sam Teacher' },
      parental: { given: true, recorded_on: '2026-11-02', name: 'Ngozi Okonkwo', relationship: 'mother' }
    }
  }
  return deepMerge(base, overrides)
}

/** A mentor's profile, with an email of its own. */
export function mentorBody(programmeIds: string[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    given_name: 'Jordan',
    family_name: 'Mentor-Test',
    email: `jordan.${Math.random().toString(36).slice(2, 10)}@volunteer.example`,
    gender: 'female',
    cultural_heritage: 'Nigerian British',
    languages: ['English', 'Yoruba'],
    interests: ['football'],
    skills: ['maths'],
    experience_areas: ['confidence'],
    postcode: 'br1 3ab',
    availability: [{ day: 'tue', part: 'evening' }],
    delivery_modes: ['in_person'],
    capacity: 1,
    programme_ids: programmeIds,
    ...overrides
  }
}

function deepMerge(a: any, b: any): any {
  if (b === undefined) return a
  if (b === null || typeof b !== 'object' || Array.isArray(b) || typeof a !== 'object' || a === null) return b
  const out: Record<string, unknown> = { ...a }
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) delete out[k]
    else out[k] = deepMerge(a[k], v)
  }
  return out
}
