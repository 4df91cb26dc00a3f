import type { Transaction } from 'kysely'
import type { DB, ErasureRequestRow } from '../db/types.js'
import type { Caller } from '../auth/roles.js'
import { AppError, forbidden, notFound } from '../errors/catalogue.js'
import type { Accessor } from '../audit/audit.repository.js'
import type { CreateErasureRequest, ErasureRequest, RecordRef } from '../schemas/data-protection.js'
import * as repo from './erasure.repository.js'
import { activeHolds } from './holds.repository.js'
import { resolveSubject } from './subjects.repository.js'
import {
  anonymiseMentors,
  anonymiseNotifications,
  anonymiseReferrals,
  deleteStoredResponses,
  type Disposed
} from './anonymise.repository.js'
import { recordEvents } from './events.repository.js'
import { jsonOf } from '../db/json.js'

type Trx = Transaction<DB>

/** Referral statuses after which the casework is over. */
const FINAL_STATUSES = new Set(['declined', 'withdrawn', 'closed'])

export const LEGAL_BASIS = {
  concern:
    'Safeguarding record about a child: kept under Keeping Children Safe in Education and Working Together to Safeguard Children (UK GDPR Art. 17(3)(b): a legal obligation)',
  allegation:
    'Allegation about an adult working with children: kept under Keeping Children Safe in Education, Part 4 (UK GDPR Art. 17(3)(b): a legal obligation)',
  hold: (reason: string): string => `Legal hold: ${reason} (UK GDPR Art. 17(3)(e): legal claims)`,
  openReferral:
    'Open casework: the referral is still in progress; it can be erased once it is withdrawn, declined or closed (UK GDPR Art. 17(1)(a))',
  activeMentor:
    'A mentor still working with children: the vetting records are needed while the mentor volunteers (Keeping Children Safe in Education, Part 3); erasable once withdrawn'
}

export interface Plan {
  erasable: RecordRef[]
  retained: Array<{ record: RecordRef; legal_basis: string }>
  referralIds: string[]
  mentorIds: string[]
}

/** What may be erased of the subject, and what is kept with the law that keeps it. */
export async function plan(trx: Trx, org: string, referralIds: string[], mentorIds: string[]): Promise<Plan> {
  const facts = await repo.erasureFacts(trx, org, referralIds, mentorIds)
  const holds = await activeHolds(trx, org, referralIds, mentorIds)
  const heldReferral = new Map(
    holds.filter((h) => h.referral_id !== null).map((h) => [h.referral_id as string, h.reason])
  )
  const heldMentor = new Map(holds.filter((h) => h.mentor_id !== null).map((h) => [h.mentor_id as string, h.reason]))
  const out: Plan = { erasable: [], retained: [], referralIds: [], mentorIds: [] }
  for (const r of facts.referrals) {
    const record: RecordRef = { type: 'referral', id: r.id, reference: r.reference }
    const held = heldReferral.get(r.id)
    const basis =
      held !== undefined ? LEGAL_BASIS.hold(held) : !FINAL_STATUSES.has(r.status) ? LEGAL_BASIS.openReferral : null
    if (basis !== null) out.retained.push({ record, legal_basis: basis })
    else {
      out.erasable.push(record)
      out.referralIds.push(r.id)
    }
    for (const m of facts.matches.filter((x) => x.referral_id === r.id)) {
      if (basis !== null) out.retained.push({ record: { type: 'match', id: m.id }, legal_basis: basis })
      else out.erasable.push({ type: 'match', id: m.id })
    }
  }
  for (const m of facts.mentors) {
    const record: RecordRef = { type: 'mentor', id: m.id }
    const held = heldMentor.get(m.id)
    const basis =
      held !== undefined ? LEGAL_BASIS.hold(held) : m.status !== 'withdrawn' ? LEGAL_BASIS.activeMentor : null
    if (basis !== null) out.retained.push({ record, legal_basis: basis })
    else {
      out.erasable.push(record)
      out.mentorIds.push(m.id)
    }
  }
  for (const c of facts.concerns) {
    out.retained.push({
      record: { type: 'safeguarding_concern', id: c.id },
      legal_basis: c.kind === 'about_young_person' ? LEGAL_BASIS.concern : LEGAL_BASIS.allegation
    })
  }
  return out
}

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString())

export function toErasure(row: ErasureRequestRow): ErasureRequest {
  return {
    id: row.id,
    status: row.status as 'pending_approval',
    subject: row.subject,
    reason: row.reason,
    erasable: row.erasable,
    retained: row.retained,
    requested_by: row.requested_by,
    approved_by: row.approved_by,
    approved_at: iso(row.approved_at),
    counts: row.counts,
    created_at: iso(row.created_at) as string,
    updated_at: iso(row.updated_at) as string
  }
}

export async function createErasure(trx: Trx, caller: Caller, body: CreateErasureRequest): Promise<ErasureRequestRow> {
  const org = caller.org as string
  const subject = await resolveSubject(trx, org, body.subject)
  const p = await plan(trx, org, subject.referralIds, subject.mentorIds)
  return await repo.insertErasure(trx, {
    organisation_id: org,
    subject: jsonOf(body.subject),
    referral_ids: subject.referralIds,
    mentor_ids: subject.mentorIds,
    reason: body.reason,
    erasable: jsonOf(p.erasable),
    retained: jsonOf(p.retained),
    requested_by: caller.sub
  })
}

/**
 * A second admin approves, and what is erasable is anonymised at once, as retention would. What to
 * erase is decided again now: a hold placed since the request keeps its record.
 */
export async function approveErasure(trx: Trx, caller: Caller, who: Accessor, id: string): Promise<ErasureRequestRow> {
  const org = caller.org as string
  const row = await repo.findErasure(trx, org, id, true)
  if (row === undefined) throw notFound('Erasure request')
  if (row.requested_by === caller.sub)
    throw forbidden('An erasure is approved by an admin other than the one who asked for it')
  if (row.status !== 'pending_approval') {
    throw new AppError('invalid_transition', `Cannot approve an erasure request that is ${row.status}`, {
      reasons: [{ code: 'invalid_transition', message: `approve is not allowed from ${row.status}` }]
    })
  }
  const p = await plan(trx, org, row.referral_ids, row.mentor_ids)
  const notifications = await repo.notificationsAbout(trx, org, p.referralIds, p.mentorIds)
  const disposed: Disposed = [
    ...(await anonymiseReferrals(trx, p.referralIds)),
    ...(await anonymiseMentors(trx, p.mentorIds)),
    ...(await anonymiseNotifications(trx, notifications))
  ]
  const stored = await deleteStoredResponses(trx, org, [...p.referralIds, ...p.mentorIds])
  await recordEvents(trx, who, 'dispose', disposed)
  const counts: Record<string, number> = { stored_responses_deleted: stored }
  for (const d of disposed) counts[d.type] = (counts[d.type] ?? 0) + 1
  return await repo.updateErasure(trx, row.id, {
    status: 'completed',
    approved_by: caller.sub,
    approved_at: new Date(),
    counts: jsonOf(counts),
    erasable: jsonOf(p.erasable),
    retained: jsonOf(p.retained)
  })
}
