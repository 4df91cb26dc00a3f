/**
 * What a council integrator writes against a client generated from the OpenAPI document
 * (openapi-typescript with its default settings, and openapi-fetch). Compiled by
 * test/client/generated-client.test.ts against freshly generated types: no casts, no `any`.
 */
import createClient from 'openapi-fetch'
import type { paths } from './api.generated.js'

export interface Callers {
  admin: string
  referrer: string
  coordinator: string
}

export interface Outcome {
  programmeId: string
  referralId: string
  reference: string
  listed: string[]
  nextCursor: string | null
  matchStatus: string
}

const bearer = (token: string): { authorization: string } => ({ authorization: `Bearer ${token}` })

export async function run(baseUrl: string, callers: Callers, matchId: string): Promise<Outcome> {
  const client = createClient<paths>({ baseUrl })

  // A programme with only the rules this scheme cares about; the rest take their defaults.
  const programme = await client.POST('/v1/programmes', {
    headers: bearer(callers.admin),
    body: {
      name: 'Motivating Young Minds',
      kind: 'mentoring',
      rules: { eligibility: { min_age: 15, max_age: 19 }, consent: { parental: 'never' } }
    }
  })
  if (programme.data === undefined) throw new Error(`programme: ${JSON.stringify(programme.error)}`)

  const referral = await client.POST('/v1/referrals', {
    headers: { ...bearer(callers.referrer), 'idempotency-key': `client-${Date.now()}` },
    body: {
      programme_id: programme.data.id,
      young_person: {
        given_name: 'Amara',
        family_name: 'Example',
        date_of_birth: '2009-05-01',
        gender: 'female',
        postcode: 'BR1 3AB',
        care_status: 'looked_after',
        school_year: 12,
        education_setting: { name: 'Ravens Wood School', urn: '101695' }
      },
      referrer: {
        name: 'Sam Teacher',
        role: 'Head of Year',
        organisation: 'Ravens Wood School',
        email: 'sam.teacher@school.example',
        is_parent_or_carer: false
      },
      needs: { areas: ['confidence', 'higher_education'], level: 'medium', statement: 'Wants to apply to university.' },
      risks: { cin_plan: false },
      consent: { young_person: { given: true, recorded_on: '2026-11-01', recorded_by: 'Sam Teacher' } }
    }
  })
  if (referral.data === undefined) throw new Error(`referral: ${JSON.stringify(referral.error)}`)

  // No `limit`: the API's default page size.
  const list = await client.GET('/v1/referrals', {
    headers: bearer(callers.coordinator),
    params: { query: { status: 'submitted' } }
  })
  if (list.data === undefined) throw new Error(`list: ${JSON.stringify(list.error)}`)

  const match = await client.GET('/v1/matches/{id}', {
    headers: bearer(callers.coordinator),
    params: { path: { id: matchId } }
  })
  if (match.data === undefined) throw new Error(`match: ${JSON.stringify(match.error)}`)

  return {
    programmeId: programme.data.id,
    referralId: referral.data.id,
    reference: referral.data.reference,
    listed: list.data.data.map((r) => r.id),
    nextCursor: list.data.next_cursor,
    matchStatus: match.data.status
  }
}
