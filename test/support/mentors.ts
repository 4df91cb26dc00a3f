import type { FastifyInstance } from 'fastify'
import { auth } from './set-up.js'

/** Shared by the mentor and alert tests: a mentor body, and a mentor taken through vetting. */
export function mentorBody (programmeIds: string[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    given_name: 'Jordan', family_name: 'Mentor-Test', email: `jordan.${Math.random().toString(36).slice(2, 10)}@volunteer.example`,
    gender: 'female', cultural_heritage: 'Nigerian British', languages: ['English', 'Yoruba'], interests: ['football'],
    skills: ['maths'], experience_areas: ['confidence'], postcode: 'br1 3ab', availability: [{ day: 'tue', part: 'evening' }],
    delivery_modes: ['in_person'], capacity: 1, programme_ids: programmeIds, ...overrides
  }
}

export interface VetOptions {
  /** Date of the interview, references, initial training and DBS (default 2025-01-06). */
  since?: string
  safeguarding?: string[]
  dbs?: Record<string, unknown> | null
  references?: number
  initialHours?: number
  approve?: boolean
  profile?: Record<string, unknown>
}

async function ok (app: FastifyInstance, token: string, url: string, payload: unknown, expected = 201): Promise<any> {
  const res = await app.inject({ method: 'POST', url, headers: auth(token), payload: payload as any })
  if (res.statusCode !== expected) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
  return res.json()
}

/** Creates a mentor and records each vetting step through the API; approves it unless told not to. */
export async function vettedMentor (app: FastifyInstance, coordinator: string, programmeIds: string[], o: VetOptions = {}): Promise<string> {
  const since = o.since ?? '2025-01-06'
  const m = await ok(app, coordinator, '/v1/mentors', mentorBody(programmeIds, o.profile))
  const base = `/v1/mentors/${m.id as string}`
  await ok(app, coordinator, `${base}/interviews`, { held_on: since, interviewer: 'Pat Lead', outcome: 'passed' })
  for (let i = 0; i < (o.references ?? 2); i++) {
    await ok(app, coordinator, `${base}/references`, { referee_name: `Referee ${i}`, relationship: 'employer', requested_on: since, received_on: since, satisfactory: true })
  }
  await ok(app, coordinator, `${base}/trainings`, { kind: 'initial', completed_on: since, hours: o.initialHours ?? 6, provider: 'Programme team' })
  for (const day of o.safeguarding ?? [since]) {
    await ok(app, coordinator, `${base}/trainings`, { kind: 'safeguarding', completed_on: day, hours: 3, provider: 'NSPCC' })
  }
  if (o.dbs !== null) {
    await ok(app, coordinator, `${base}/dbs-checks`, { level: 'enhanced_with_barred_list_children', workforce: 'child', certificate_number: '001234567890', issued_on: since, outcome: 'clear', ...o.dbs })
  }
  if (o.approve !== false) await ok(app, coordinator, `${base}/approve`, {}, 200)
  return m.id as string
}
