import type { Transaction } from 'kysely'
import type { DB, ReferralRow } from '../db/types.js'
import type { Caller, Role } from '../auth/roles.js'
import { hasRole, primaryRole } from '../auth/roles.js'
import { AppError, invalidTransition, notFound, unknownReference, type Reason } from '../errors/catalogue.js'
import type { CreateReferral, DeclineReason, Referral, ReferralStatus, UpdateReferral } from '../schemas/referrals.js'
import type { ProgrammeRules } from '../schemas/programmes.js'
import { normalisePostcode } from '../lib/postcodes.js'
import { screenReferral } from './screening.js'
import * as repo from './referrals.repository.js'
import { findProgramme } from '../programmes/programmes.repository.js'
import { findOrganisation } from '../organisations/organisations.repository.js'
import { insertNotifications } from '../notifications/notifications.repository.js'
import * as templates from '../notifications/templates/referrals.js'
import { checkIfMatch, etagOf } from '../lib/etag.js'
import type { Casework } from './links.repository.js'
import { nameKeyOf, recordDuplicates } from './links.service.js'
import { emitEvent } from '../webhooks/webhook-events.js'
import { iso, isoOrNull } from '../lib/wire.js'
import { jsonOf } from '../db/json.js'

type Trx = Transaction<DB>

/** The referrals a caller may see: a referrer only its own. */
export function scopeFor(caller: Caller): repo.ReferralScope {
  const org = caller.org as string
  const seesAll = hasRole(caller, 'coordinator', 'admin', 'integration')
  return seesAll ? { org } : { org, createdBy: caller.sub }
}

/** A referral as the API shows it; `casework` (possible duplicates, links) only for coordinators and admins. */
export function toReferral(row: ReferralRow, casework?: Casework): Referral {
  return {
    id: row.id,
    reference: row.reference,
    programme_id: row.programme_id,
    status: row.status as ReferralStatus,
    young_person: row.young_person,
    referrer: row.referrer,
    needs: row.needs,
    risks: row.risks,
    preferences: row.preferences,
    consent: row.consent,
    other_services: row.other_services,
    screening: row.screening,
    funded_place: row.funded_place,
    information_request: row.information_request,
    decline: row.decline,
    withdrawal: row.withdrawal,
    accepted_at: isoOrNull(row.accepted_at),
    matched_at: isoOrNull(row.matched_at),
    closed_at: isoOrNull(row.closed_at),
    match: (row.match_summary ?? null) as Referral['match'],
    submitted_at: iso(row.created_at),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    ...(casework !== undefined ? (casework as Pick<Referral, 'possible_duplicates' | 'linked_referral_ids'>) : {})
  }
}

const norm = (s: string): string => s.trim().toLowerCase().replace(/\s+/g, ' ')

function quotaKeys(r: Pick<CreateReferral, 'referrer' | 'young_person'>): repo.QuotaKeys {
  const setting = r.young_person.education_setting
  return {
    referrer_key: norm(r.referrer.email),
    education_setting_key:
      setting === undefined ? null : setting.urn !== undefined ? `urn:${setting.urn}` : `name:${norm(setting.name)}`,
    team_key: r.referrer.team === undefined ? null : `${norm(r.referrer.organisation)}/${norm(r.referrer.team)}`
  }
}

async function checkQuotas(
  trx: Trx,
  programmeId: string,
  rules: ProgrammeRules,
  keys: repo.QuotaKeys,
  excludeId?: string
): Promise<void> {
  const q = rules.quotas
  if (q.per_referrer === undefined && q.per_education_setting === undefined && q.per_team === undefined) return
  await repo.lockQuotaKeys(trx, programmeId, keys)
  const open = await repo.countOpen(trx, programmeId, keys, excludeId)
  const reasons: Reason[] = []
  if (q.per_referrer !== undefined && open.referrer >= q.per_referrer) {
    reasons.push({
      code: 'quota_per_referrer',
      message: `This referrer already has ${open.referrer} open referrals; the limit is ${q.per_referrer} at a time`
    })
  }
  if (
    q.per_education_setting !== undefined &&
    keys.education_setting_key !== null &&
    open.setting >= q.per_education_setting
  ) {
    reasons.push({
      code: 'quota_per_education_setting',
      message: `This school or college already has ${open.setting} open referrals; the limit is ${q.per_education_setting} at a time`
    })
  }
  if (q.per_team !== undefined && keys.team_key !== null && open.team >= q.per_team) {
    reasons.push({
      code: 'quota_per_team',
      message: `This team or service already has ${open.team} open referrals; the limit is ${q.per_team} at a time`
    })
  }
  if (reasons.length > 0) {
    throw new AppError(
      'quota_reached',
      `${reasons.map((r) => r.code).join(', ')} reached; a coordinator can record a funded place`,
      { reasons }
    )
  }
}

function screen(
  content: Parameters<typeof screenReferral>[0],
  rules: ProgrammeRules,
  today: string
): Referral['screening'] {
  const result = screenReferral(content, rules, today)
  if (result.refusals.length > 0) {
    throw new AppError('referral_refused', result.refusals.map((r) => r.message).join('; '), {
      reasons: result.refusals
    })
  }
  return {
    outcome: result.reviews.length > 0 ? 'needs_review' : 'eligible',
    reasons: result.reviews,
    age_at_referral: result.age,
    screened_at: new Date().toISOString()
  }
}

function checkDates(body: Pick<CreateReferral, 'young_person' | 'consent'>, today: string): void {
  const errors: Array<{ path: string; message: string }> = []
  if (body.young_person.date_of_birth > today)
    errors.push({ path: 'body/young_person/date_of_birth', message: 'must not be in the future' })
  if (body.consent.young_person.recorded_on > today)
    errors.push({ path: 'body/consent/young_person/recorded_on', message: 'must not be in the future' })
  if (body.consent.parental !== undefined && body.consent.parental.recorded_on > today)
    errors.push({ path: 'body/consent/parental/recorded_on', message: 'must not be in the future' })
  if (errors.length > 0)
    throw new AppError('validation_failed', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors })
}

function normalised<T extends Partial<CreateReferral>>(body: T): T {
  if (body.young_person === undefined) return body
  return { ...body, young_person: { ...body.young_person, postcode: normalisePostcode(body.young_person.postcode) } }
}

export interface Created {
  row: ReferralRow
  notificationIds: string[]
}

export async function createReferral(trx: Trx, caller: Caller, input: CreateReferral, today: string): Promise<Created> {
  const org = caller.org as string
  if (input.funded_place === true && !hasRole(caller, 'coordinator')) {
    throw new AppError('forbidden', 'Only a coordinator can record a funded place')
  }
  const programme = await findProgramme(trx, org, input.programme_id)
  if (programme === undefined) {
    throw unknownReference('body/programme_id', 'is not a programme of your organisation')
  }
  if (!programme.active) {
    throw new AppError('rule_refused', 'The programme is not taking referrals', {
      reasons: [{ code: 'programme_inactive', message: 'This programme is not currently taking referrals' }]
    })
  }
  const body = normalised(input)
  checkDates(body, today)
  const rules = programme.rules
  const screening = screen(body, rules, today)
  const keys = quotaKeys(body)
  if (input.funded_place !== true) await checkQuotas(trx, programme.id, rules, keys)

  const organisation = await findOrganisation(trx, org)
  if (organisation === undefined) throw notFound('Organisation')
  const reference = await repo.nextReference(trx, org, organisation.code, Number.parseInt(today.slice(0, 4), 10))
  const row = await repo.insertReferral(trx, {
    organisation_id: org,
    programme_id: programme.id,
    reference,
    status: 'submitted',
    created_by: caller.sub,
    young_person: jsonOf(body.young_person),
    referrer: jsonOf(body.referrer),
    needs: jsonOf(body.needs),
    risks: jsonOf(body.risks),
    preferences: jsonOf(body.preferences ?? { mentor_gender: 'no_preference' }),
    consent: jsonOf(body.consent),
    other_services: jsonOf(body.other_services ?? []),
    screening: jsonOf(screening),
    funded_place: input.funded_place === true,
    name_key: nameKeyOf(body.young_person),
    ...keys
  })
  await recordDuplicates(trx, row, true)
  await repo.insertHistory(trx, {
    referral_id: row.id,
    from_status: null,
    to_status: 'submitted',
    actor_id: caller.sub,
    actor_role: primaryRole(caller),
    reason: screening.outcome === 'needs_review' ? 'screening: needs review' : null
  })
  await emitEvent(trx, org, 'referral.created', {
    id: row.id,
    reference,
    status: 'submitted',
    programme_id: programme.id
  })
  const message = templates.referralAcknowledgement({ reference, programme: programme.name })
  const notificationIds = await insertNotifications(trx, [
    {
      organisation_id: org,
      dedupe_key: `referral-acknowledgement:${row.id}`,
      kind: 'referral_acknowledgement',
      recipient: body.referrer.email,
      subject: message.subject,
      body: message.body,
      subject_type: 'referral',
      subject_id: row.id
    }
  ])
  return { row, notificationIds }
}

const REFERRER_EDITABLE: readonly string[] = ['submitted', 'acknowledged', 'information_requested']
const FINAL: readonly string[] = ['declined', 'withdrawn', 'closed']

export async function updateReferral(
  trx: Trx,
  caller: Caller,
  id: string,
  patch: UpdateReferral,
  ifMatch: string | undefined,
  today: string
): Promise<ReferralRow> {
  const row = await repo.lockReferral(trx, scopeFor(caller), id)
  if (row === undefined) throw notFound('Referral')
  checkIfMatch(ifMatch, row, 'referral')
  const isCoordinator = hasRole(caller, 'coordinator')
  if (FINAL.includes(row.status) || (!isCoordinator && !REFERRER_EDITABLE.includes(row.status))) {
    throw invalidTransition(row.status, 'update the referral')
  }
  const merged = normalised({
    young_person: patch.young_person ?? row.young_person,
    referrer: patch.referrer ?? row.referrer,
    needs: patch.needs ?? row.needs,
    risks: patch.risks ?? row.risks,
    consent: patch.consent ?? row.consent
  } as CreateReferral)
  checkDates(merged, today)
  const programme = await findProgramme(trx, row.organisation_id, row.programme_id)
  if (programme === undefined) throw notFound('Programme')
  const rules = programme.rules
  const screening = screen(merged, rules, today)
  const keys = quotaKeys(merged)
  const keysChanged =
    keys.referrer_key !== row.referrer_key ||
    keys.education_setting_key !== row.education_setting_key ||
    keys.team_key !== row.team_key
  if (keysChanged && !row.funded_place) await checkQuotas(trx, row.programme_id, rules, keys, row.id)
  const updated = await repo.updateReferral(trx, row.id, {
    name_key: nameKeyOf(merged.young_person),
    young_person: jsonOf(merged.young_person),
    referrer: jsonOf(merged.referrer),
    needs: jsonOf(merged.needs),
    risks: jsonOf(merged.risks),
    consent: jsonOf(merged.consent),
    ...(patch.preferences !== undefined ? { preferences: jsonOf(patch.preferences) } : {}),
    ...(patch.other_services !== undefined ? { other_services: jsonOf(patch.other_services) } : {}),
    screening: jsonOf(screening),
    ...keys
  })
  if (patch.young_person !== undefined) await recordDuplicates(trx, updated, false)
  return updated
}

export type Action =
  'start_review' | 'request_information' | 'provide_information' | 'accept' | 'decline' | 'withdraw' | 'acknowledge'

const TRANSITIONS: Record<Action, { from: readonly ReferralStatus[]; to: ReferralStatus; verb: string }> = {
  acknowledge: { from: ['submitted'], to: 'acknowledged', verb: 'acknowledge' },
  start_review: { from: ['submitted', 'acknowledged'], to: 'under_review', verb: 'start a review' },
  request_information: {
    from: ['submitted', 'acknowledged', 'under_review'],
    to: 'information_requested',
    verb: 'request information'
  },
  provide_information: { from: ['information_requested'], to: 'under_review', verb: 'provide information' },
  accept: { from: ['submitted', 'acknowledged', 'under_review'], to: 'accepted', verb: 'accept' },
  decline: {
    from: ['submitted', 'acknowledged', 'under_review', 'information_requested', 'accepted'],
    to: 'declined',
    verb: 'decline'
  },
  withdraw: {
    from: ['submitted', 'acknowledged', 'under_review', 'information_requested', 'accepted'],
    to: 'withdrawn',
    verb: 'withdraw'
  }
}

export interface TransitionInput {
  questions?: string
  answers?: string
  funded_place?: boolean
  reason_code?: DeclineReason
  note?: string
  reason?: string
}

/** Moves a referral along its lifecycle, keeping history and queueing the referrer's notifications. */
export async function transition(
  trx: Trx,
  caller: Caller,
  id: string,
  action: Action,
  input: TransitionInput,
  ifMatch: string | undefined,
  roles: readonly Role[]
): Promise<Created> {
  const row = await repo.lockReferral(trx, scopeFor(caller), id)
  if (row === undefined) throw notFound('Referral')
  checkIfMatch(ifMatch, row, 'referral')
  return await apply(trx, row, action, input, { id: caller.sub, role: primaryRole(caller, roles) })
}

/**
 * The referral's acknowledgement reached the referrer: a referral still `submitted` moves to
 * `acknowledged`, by the system. One a coordinator has already moved on stays where it is.
 */
export async function acknowledge(trx: Trx, org: string, id: string): Promise<boolean> {
  const row = await repo.lockReferral(trx, { org }, id)
  if (row === undefined || !TRANSITIONS.acknowledge.from.includes(row.status as ReferralStatus)) return false
  await apply(
    trx,
    row,
    'acknowledge',
    { note: 'acknowledgement sent to the referrer' },
    { id: 'system', role: 'system' }
  )
  return true
}

async function apply(
  trx: Trx,
  row: ReferralRow,
  action: Action,
  input: TransitionInput,
  actor: { id: string; role: string }
): Promise<Created> {
  const t = TRANSITIONS[action]
  if (!t.from.includes(row.status as ReferralStatus)) throw invalidTransition(row.status, t.verb)
  const programme = await findProgramme(trx, row.organisation_id, row.programme_id)
  if (programme === undefined) throw notFound('Programme')
  const now = new Date().toISOString()
  const set: Parameters<typeof repo.updateReferral>[2] = { status: t.to }
  const messages: Array<{ kind: string; key: string; subject: string; body: string }> = []
  let reason: string | null = input.note ?? null

  switch (action) {
    case 'request_information': {
      set.information_request = jsonOf({
        questions: input.questions as string,
        requested_at: now,
        answers: null,
        answered_at: null
      })
      const m = templates.informationRequested({
        reference: row.reference,
        programme: programme.name,
        questions: input.questions as string
      })
      const rounds = await repo.countTransitionsTo(trx, row.id, 'information_requested')
      messages.push({
        kind: 'referral_information_requested',
        key: `referral-information-requested:${row.id}:${rounds + 1}`,
        ...m
      })
      reason = 'information requested'
      break
    }
    case 'provide_information': {
      const prior = row.information_request
      set.information_request = jsonOf({
        ...(prior ?? { questions: '', requested_at: now }),
        answers: input.answers as string,
        answered_at: now
      })
      reason = 'information provided'
      break
    }
    case 'accept': {
      const rules = programme.rules
      if (input.funded_place === true) {
        set.funded_place = true
      } else if (!row.funded_place) {
        await checkQuotas(
          trx,
          row.programme_id,
          rules,
          { referrer_key: row.referrer_key, education_setting_key: row.education_setting_key, team_key: row.team_key },
          row.id
        )
      }
      set.accepted_at = new Date(now)
      if (input.funded_place === true) reason = reason ?? 'accepted as a funded place'
      break
    }
    case 'decline': {
      set.decline = jsonOf({
        reason_code: input.reason_code as DeclineReason,
        note: input.note ?? null,
        declined_at: now
      })
      set.closed_at = new Date(now)
      const m = templates.referralDeclined({
        reference: row.reference,
        programme: programme.name,
        reasonCode: input.reason_code as string,
        note: input.note
      })
      messages.push({ kind: 'referral_declined', key: `referral-declined:${row.id}`, ...m })
      reason = input.reason_code ?? null
      break
    }
    case 'withdraw': {
      set.withdrawal = jsonOf({ reason: input.reason as string, withdrawn_at: now })
      set.closed_at = new Date(now)
      reason = input.reason ?? null
      break
    }
    default:
      break
  }
  const updated = await repo.updateReferral(trx, row.id, set)
  await recordStatusChange(trx, row, t.to, actor, reason)
  const referrer = row.referrer
  const notificationIds = await insertNotifications(
    trx,
    messages.map((m) => ({
      organisation_id: row.organisation_id,
      dedupe_key: m.key,
      kind: m.kind,
      recipient: referrer.email,
      subject: m.subject,
      body: m.body,
      subject_type: 'referral',
      subject_id: row.id
    }))
  )
  return { row: updated, notificationIds }
}

/**
 * A referral moving with its match: `matched` when a match is made, back to `accepted` (waiting) on a
 * rematch, `closed` when the match ends for good. `summary` is what the referrer sees of the match.
 */
export async function matchTransition(
  trx: Trx,
  org: string,
  referralId: string,
  to: 'matched' | 'accepted' | 'closed',
  actor: { id: string; role: string },
  reason: string,
  summary: ReferralRow['match_summary']
): Promise<void> {
  const row = await repo.lockReferral(trx, { org }, referralId)
  if (row === undefined) throw notFound('Referral')
  const from: Record<typeof to, ReferralStatus[]> = {
    matched: ['accepted'],
    accepted: ['matched'],
    closed: ['matched']
  }
  if (!from[to].includes(row.status as ReferralStatus))
    throw invalidTransition(row.status, to === 'matched' ? 'match the referral' : "end the referral's match")
  const now = new Date()
  await repo.updateReferral(trx, row.id, {
    status: to,
    match_summary: summary === null ? null : jsonOf(summary),
    ...(to === 'matched' ? { matched_at: now } : {}),
    ...(to === 'accepted' ? { matched_at: null } : {}),
    ...(to === 'closed' ? { closed_at: now } : {})
  })
  await recordStatusChange(trx, row, to, actor, reason)
}

/** Every status change of a referral: its history entry and its webhook event, in the change's transaction. */
async function recordStatusChange(
  trx: Trx,
  row: ReferralRow,
  to: ReferralStatus,
  actor: { id: string; role: string },
  reason: string | null
): Promise<void> {
  await repo.insertHistory(trx, {
    referral_id: row.id,
    from_status: row.status,
    to_status: to,
    actor_id: actor.id,
    actor_role: actor.role,
    reason
  })
  await emitEvent(trx, row.organisation_id, 'referral.status_changed', {
    id: row.id,
    reference: row.reference,
    status: to,
    previous_status: row.status,
    programme_id: row.programme_id
  })
}

/** Keeps the referrer's view of the match current as the match changes status (no new referral version). */
export async function setMatchSummary(
  trx: Trx,
  referralId: string,
  summary: NonNullable<ReferralRow['match_summary']>
): Promise<void> {
  await repo.updateMatchSummary(trx, referralId, summary)
}

export { etagOf }
