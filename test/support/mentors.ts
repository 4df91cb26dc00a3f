import type { FastifyInstance } from 'fastify'
import { addDays } from '../../src/lib/dates.js'
import { mentorBody } from './bodies.js'
import { post } from './requests.js'
import { todayLocal } from './time.js'

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

/** Creates a mentor and records each vetting step through the API; approves it unless told not to. */
export async function vettedMentor(
  app: FastifyInstance,
  coordinator: string,
  programmeIds: string[],
  o: VetOptions = {}
): Promise<string> {
  const since = o.since ?? '2025-01-06'
  const m = await post(app, coordinator, '/v1/mentors', mentorBody(programmeIds, o.profile))
  const base = `/v1/mentors/${m.id as string}`
  await post(app, coordinator, `${base}/interviews`, { held_on: since, interviewer: 'Pat Lead', outcome: 'passed' })
  for (let i = 0; i < (o.references ?? 2); i++) {
    await post(app, coordinator, `${base}/references`, {
      referee_name: `Referee ${i}`,
      relationship: 'employer',
      requested_on: since,
      received_on: since,
      satisfactory: true
    })
  }
  await post(app, coordinator, `${base}/trainings`, {
    kind: 'initial',
    completed_on: since,
    hours: o.initialHours ?? 6,
    provider: 'Programme team'
  })
  for (const day of o.safeguarding ?? [since]) {
    await post(app, coordinator, `${base}/trainings`, {
      kind: 'safeguarding',
      completed_on: day,
      hours: 3,
      provider: 'NSPCC'
    })
  }
  if (o.dbs !== null) {
    await post(app, coordinator, `${base}/dbs-checks`, {
      level: 'enhanced_with_barred_list_children',
      workforce: 'child',
      certificate_number: '001234567890',
      issued_on: since,
      outcome: 'clear',
      ...o.dbs
    })
  }
  if (o.approve !== false) await post(app, coordinator, `${base}/approve`, {}, 200)
  return m.id as string
}

/** A mentor vetted a month ago, so every check is current today. */
export async function recentlyVettedMentor(
  app: FastifyInstance,
  coordinator: string,
  programmeIds: string[],
  o: VetOptions = {}
): Promise<string> {
  return await vettedMentor(app, coordinator, programmeIds, { since: addDays(todayLocal(), -30), ...o })
}
