import type { Transaction } from 'kysely'
import type { DB, MentorRow } from '../db/types.js'
import type { Caller } from '../auth/roles.js'
import { hasRole, primaryRole } from '../auth/roles.js'
import { AppError, invalidTransition, notFound, unknownReferences, type FieldError } from '../errors/catalogue.js'
import { normalisePostcode } from '../lib/postcodes.js'
import {
  MENTOR_EDITABLE_FIELDS,
  type CreateMentor,
  type Mentor,
  type MentorStatus,
  type UpdateMentor
} from '../schemas/mentors.js'
import * as repo from './mentors.repository.js'
import { evaluate, isClearStatus } from './compliance.js'
import { loadRecords } from './compliance.repository.js'
import { checkIfMatch, etagOf } from '../lib/etag.js'
import { pauseMatchesOfMentor } from '../matches/matches.service.js'
import { announceClearance } from './clearance.js'
import { checkApproval, checkReinstatement } from '../safeguarding/workflow.service.js'
import { jsonOf } from '../db/json.js'

type Trx = Transaction<DB>

/** A mentor sees only its own record; coordinators (and admins) see the organisation's. */
export function scopeFor(caller: Caller): repo.MentorScope {
  const org = caller.org as string
  if (hasRole(caller, 'coordinator', 'admin')) return { org }
  return { org, mentorId: caller.mentorId ?? '00000000-0000-0000-0000-000000000000' }
}

const iso = (d: Date | null): string | null => (d === null ? null : new Date(d).toISOString())

export function toMentor(row: repo.MentorWithProgrammes): Mentor {
  return {
    id: row.id,
    organisation_id: row.organisation_id,
    status: row.status as MentorStatus,
    given_name: row.given_name,
    family_name: row.family_name,
    email: row.email,
    phone: row.phone,
    gender: row.gender,
    cultural_heritage: row.cultural_heritage,
    languages: row.languages,
    interests: row.interests,
    skills: row.skills,
    experience_areas: row.experience_areas,
    experience_summary: row.experience_summary,
    postcode: row.postcode,
    latitude: row.latitude,
    longitude: row.longitude,
    availability: row.availability as Mentor['availability'],
    delivery_modes: row.delivery_modes as Mentor['delivery_modes'],
    capacity: row.capacity,
    professional_background: row.professional_background as Mentor['professional_background'],
    works_in_care_system: row.works_in_care_system,
    subject: row.subject,
    programme_ids: row.programme_ids,
    approved_at: iso(row.approved_at),
    created_at: iso(row.created_at) as string,
    updated_at: iso(row.updated_at) as string
  }
}

async function checkProgrammes(trx: Trx, org: string, ids: string[]): Promise<void> {
  const found = new Set((await repo.programmesOf(trx, org, ids)).map((p) => p.id))
  const errors: FieldError[] = ids.flatMap((id, i) =>
    found.has(id) ? [] : [{ path: `body/programme_ids/${i}`, message: 'is not a programme of your organisation' }]
  )
  if (errors.length > 0) throw unknownReferences(errors)
}

function checkDates(body: Partial<CreateMentor>, today: string): void {
  const ended = body.professional_background?.involvement_ended_on
  if (ended !== undefined && ended > today) {
    throw new AppError(
      'validation_failed',
      'body/professional_background/involvement_ended_on must not be in the future',
      {
        errors: [{ path: 'body/professional_background/involvement_ended_on', message: 'must not be in the future' }]
      }
    )
  }
}

export async function createMentor(
  trx: Trx,
  caller: Caller,
  body: CreateMentor,
  today: string
): Promise<repo.MentorWithProgrammes> {
  const org = caller.org as string
  checkDates(body, today)
  await checkProgrammes(trx, org, body.programme_ids)
  const row = await repo.insertMentor(trx, {
    organisation_id: org,
    status: 'applicant',
    given_name: body.given_name,
    family_name: body.family_name,
    email: body.email,
    phone: body.phone ?? null,
    gender: body.gender,
    cultural_heritage: body.cultural_heritage ?? null,
    languages: jsonOf(body.languages ?? []),
    interests: jsonOf(body.interests ?? []),
    skills: jsonOf(body.skills ?? []),
    experience_areas: jsonOf(body.experience_areas ?? []),
    experience_summary: body.experience_summary ?? null,
    postcode: normalisePostcode(body.postcode),
    latitude: body.latitude ?? null,
    longitude: body.longitude ?? null,
    availability: jsonOf(body.availability ?? []),
    delivery_modes: jsonOf(body.delivery_modes ?? ['in_person']),
    capacity: body.capacity ?? 1,
    professional_background:
      body.professional_background === undefined || body.professional_background === null
        ? null
        : jsonOf(body.professional_background),
    works_in_care_system: body.works_in_care_system ?? false,
    subject: body.subject ?? null
  })
  await repo.setProgrammes(trx, row.id, body.programme_ids)
  await repo.insertHistory(trx, {
    mentor_id: row.id,
    from_status: null,
    to_status: 'applicant',
    actor_id: caller.sub,
    actor_role: primaryRole(caller)
  })
  await announceClearance(trx, [row.id], today)
  return { ...row, programme_ids: [...body.programme_ids].sort() }
}

const JSON_FIELDS = new Set([
  'languages',
  'interests',
  'skills',
  'experience_areas',
  'availability',
  'delivery_modes',
  'professional_background'
])

export async function updateMentor(
  trx: Trx,
  caller: Caller,
  id: string,
  patch: UpdateMentor,
  ifMatch: string | undefined,
  today: string
): Promise<repo.MentorWithProgrammes> {
  const row = await repo.lockMentor(trx, scopeFor(caller), id)
  if (row === undefined) throw notFound('Mentor')
  if (!hasRole(caller, 'coordinator')) {
    const editable = new Set<string>(MENTOR_EDITABLE_FIELDS)
    const refused = Object.keys(patch).filter((k) => !editable.has(k))
    if (refused.length > 0) {
      throw new AppError('forbidden', `A mentor may not change ${refused.join(', ')}; ask your coordinator`, {
        errors: refused.map((k) => ({ path: `body/${k}`, message: 'may be changed only by a coordinator' }))
      })
    }
  }
  checkIfMatch(ifMatch, row, 'mentor')
  if (row.status === 'withdrawn') throw invalidTransition(row.status, 'update the mentor')
  checkDates(patch, today)
  const { programme_ids: programmeIds, ...fields } = patch
  if (programmeIds !== undefined) {
    await checkProgrammes(trx, row.organisation_id, programmeIds)
    await repo.setProgrammes(trx, row.id, programmeIds)
  }
  const set: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue
    if (k === 'postcode') set[k] = normalisePostcode(v as string)
    else set[k] = JSON_FIELDS.has(k) && v !== null ? jsonOf(v) : v
  }
  const updated = await repo.updateMentor(trx, row.id, set)
  await announceClearance(trx, [row.id], today)
  return { ...updated, programme_ids: programmeIds !== undefined ? [...programmeIds].sort() : row.programme_ids }
}

export type MentorAction = 'approve' | 'suspend' | 'reinstate' | 'withdraw'

/** Every status change of a mentor: the actions coordinators take, and vetting starting with the first record. */
type MentorChange = MentorAction | 'start_vetting'

const TRANSITIONS: Record<MentorChange, { from: readonly MentorStatus[]; to: MentorStatus; verb: string }> = {
  start_vetting: { from: ['applicant'], to: 'vetting', verb: 'start vetting' },
  approve: { from: ['vetting'], to: 'approved', verb: 'approve the mentor' },
  suspend: { from: ['approved'], to: 'suspended', verb: 'suspend the mentor' },
  reinstate: { from: ['suspended'], to: 'approved', verb: 'reinstate the mentor' },
  withdraw: { from: ['applicant', 'vetting', 'approved', 'suspended'], to: 'withdrawn', verb: 'withdraw the mentor' }
}

/** What to do instead, where a change is refused from a status that has a way forward. */
const NEXT_STEP: Record<string, (id: string) => { code: string; message: string }> = {
  'approve:applicant': (id) => ({
    code: 'vetting_not_started',
    message: `record the vetting first (an interview, references, an enhanced DBS check and training: POST /v1/mentors/${id}/interviews, /references, /dbs-checks, /trainings); the first record moves the mentor to vetting, and approval follows once GET /v1/mentors/${id}/compliance is clear`
  }),
  'approve:approved': () => ({ code: 'already_approved', message: 'the mentor is already approved' }),
  'approve:suspended': (id) => ({
    code: 'mentor_suspended',
    message: `a suspended mentor returns through POST /v1/mentors/${id}/reinstate`
  }),
  'approve:withdrawn': () => ({
    code: 'mentor_withdrawn',
    message: 'a withdrawn mentor cannot return; a volunteer coming back applies again as a new mentor'
  })
}

/** Refuses, with every reason, unless the mentor meets every requirement of each of its programmes. */
async function requireClear(trx: Trx, row: MentorRow, asOf: string): Promise<void> {
  const records = (await loadRecords(trx, row.organisation_id, [row.id])).get(row.id)
  if (records === undefined) throw notFound('Mentor')
  if (records.programmes.length === 0) {
    throw new AppError('rule_refused', 'The mentor serves no programme', {
      reasons: [{ code: 'no_programme', message: 'Add the mentor to a programme first' }]
    })
  }
  const result = evaluate(records, asOf)
  const failing = result.checks.filter((c) => !isClearStatus(c.status))
  if (failing.length > 0) {
    const names = new Map(records.programmes.map((p) => [p.id, p.name]))
    throw new AppError('rule_refused', `The mentor is not cleared: ${failing.map((c) => c.name).join(', ')}`, {
      reasons: failing.map((c) => ({
        code: `${c.name}_${c.status}`,
        message: `${names.get(c.programme_id ?? '') ?? 'Programme'}: ${c.detail}`
      }))
    })
  }
}

export async function transition(
  trx: Trx,
  caller: Caller,
  id: string,
  action: MentorAction,
  reason: string | undefined,
  ifMatch: string | undefined,
  today: string
): Promise<repo.MentorWithProgrammes> {
  const row = await repo.lockMentor(trx, scopeFor(caller), id)
  if (row === undefined) throw notFound('Mentor')
  checkIfMatch(ifMatch, row, 'mentor')
  const t = TRANSITIONS[action]
  if (!t.from.includes(row.status as MentorStatus)) {
    const step = NEXT_STEP[`${action}:${row.status}`]
    if (step === undefined) throw invalidTransition(row.status, t.verb)
    const next = step(row.id)
    throw new AppError('invalid_transition', `Cannot ${t.verb} while the status is ${row.status}: ${next.message}`, {
      reasons: [next]
    })
  }
  if (action === 'reinstate') await checkReinstatement(trx, caller, row.id)
  if (action === 'approve') {
    const open = await checkApproval(trx, caller, row.id)
    if (open.length > 0) throw new AppError('rule_refused', 'An allegation about the mentor is open', { reasons: open })
  }
  if (action === 'approve' || action === 'reinstate') await requireClear(trx, row, today)
  return await apply(trx, caller, row, action, reason, today)
}

/**
 * An allegation about an approved mentor suspends it at once, whoever raised it: access ends and its
 * active matches pause, as a coordinator's suspension does. False when the mentor was not approved.
 */
export async function suspendForAllegation(
  trx: Trx,
  caller: Caller,
  mentorId: string,
  today: string
): Promise<boolean> {
  const row = await repo.lockMentor(trx, { org: caller.org as string }, mentorId)
  if (row === undefined || !TRANSITIONS.suspend.from.includes(row.status as MentorStatus)) return false
  await apply(trx, caller, row, 'suspend', 'pending a safeguarding review', today)
  return true
}

async function apply(
  trx: Trx,
  caller: Caller,
  row: repo.MentorWithProgrammes,
  action: MentorChange,
  reason: string | undefined,
  today: string
): Promise<repo.MentorWithProgrammes> {
  const t = TRANSITIONS[action]
  const updated = await repo.updateMentor(trx, row.id, {
    status: t.to,
    ...(action === 'approve' ? { approved_at: new Date() } : {})
  })
  await repo.insertHistory(trx, {
    mentor_id: row.id,
    from_status: row.status,
    to_status: t.to,
    actor_id: caller.sub,
    actor_role: primaryRole(caller, ['coordinator', 'admin']),
    reason: reason ?? null
  })
  // The mentor's access ends with this change (see the authentication plugin); its matches stop too.
  // The match history says why without repeating the suspension's reason, which referrers' staff may not see.
  if (action === 'suspend' || action === 'withdraw')
    await pauseMatchesOfMentor(trx, caller, row.id, `mentor ${t.to}`, today)
  await announceClearance(trx, [row.id], today)
  return { ...updated, programme_ids: row.programme_ids }
}

/**
 * The mentor, locked, for a new vetting record: an applicant moves to vetting with its first record;
 * a withdrawn mentor takes no more records.
 */
export async function mentorForVetting(trx: Trx, caller: Caller, id: string, today: string): Promise<MentorRow> {
  const row = await repo.lockMentor(trx, scopeFor(caller), id)
  if (row === undefined) throw notFound('Mentor')
  if (row.status === 'withdrawn') throw invalidTransition(row.status, 'record vetting')
  if (TRANSITIONS.start_vetting.from.includes(row.status as MentorStatus))
    await apply(trx, caller, row, 'start_vetting', 'first vetting record', today)
  return row
}

export { etagOf }
