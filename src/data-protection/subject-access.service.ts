import type { Transaction } from 'kysely'
import type { DB, SubjectAccessRequestRow } from '../db/types.js'
import type { Caller } from '../auth/roles.js'
import { AppError, invalidInput, notFound } from '../errors/catalogue.js'
import { addMonths } from '../lib/dates.js'
import type { CreateSubjectAccessRequest, RecordRef, SubjectAccessRequest } from '../schemas/data-protection.js'
import * as repo from './subject-access.repository.js'
import { resolveSubject } from './subjects.repository.js'
import { jsonOf } from '../db/json.js'

type Trx = Transaction<DB>

/** The most a deadline may be extended by, in months (three months in all). */
export const MAX_EXTENSION_MONTHS = 2

/**
 * The ICO's deadline: one calendar month from receipt (the same day of the next month, or that month's
 * last day when it has no such day), plus the months extended.
 */
export function dueOn(receivedOn: string, extendedMonths: number): string {
  return addMonths(receivedOn, 1 + extendedMonths)
}

const iso = (d: Date | string): string => new Date(d).toISOString()

export function toRequest(row: SubjectAccessRequestRow, records: RecordRef[]): SubjectAccessRequest {
  return {
    id: row.id,
    status: row.status as 'open',
    subject: row.subject,
    received_on: row.received_on,
    due_on: row.due_on,
    extended_months: row.extended_months,
    extensions: row.extensions,
    requester: row.requester,
    identity_verified: row.identity_verified,
    sent_on: row.sent_on,
    records,
    created_by: row.created_by,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at)
  }
}

export async function createRequest(
  trx: Trx,
  caller: Caller,
  body: CreateSubjectAccessRequest,
  today: string
): Promise<SubjectAccessRequestRow> {
  if (body.received_on > today) throw invalidInput([{ path: 'body/received_on', message: 'must not be in the future' }])
  const org = caller.org as string
  const subject = await resolveSubject(trx, org, body.subject)
  return await repo.insertRequest(trx, {
    organisation_id: org,
    subject: jsonOf(body.subject),
    referral_ids: subject.referralIds,
    mentor_ids: subject.mentorIds,
    received_on: body.received_on,
    due_on: dueOn(body.received_on, 0),
    extensions: jsonOf([]),
    requester: jsonOf(body.requester),
    identity_verified: body.identity_verified,
    created_by: caller.sub
  })
}

async function openRequest(trx: Trx, org: string, id: string, action: string): Promise<SubjectAccessRequestRow> {
  const row = await repo.findRequest(trx, org, id, true)
  if (row === undefined) throw notFound('Subject access request')
  if (row.status !== 'open') {
    throw new AppError('invalid_transition', `Cannot ${action} a request that is ${row.status}`, {
      reasons: [{ code: 'invalid_transition', message: `${action} is not allowed from ${row.status}` }]
    })
  }
  return row
}

/** Extends the deadline by 1 or 2 months with a reason; three months in all at most (beyond: 422). */
export async function extendRequest(
  trx: Trx,
  caller: Caller,
  id: string,
  body: { months: 1 | 2; reason: string }
): Promise<SubjectAccessRequestRow> {
  const row = await openRequest(trx, caller.org as string, id, 'extend')
  const total = row.extended_months + body.months
  if (total > MAX_EXTENSION_MONTHS) {
    throw new AppError(
      'rule_refused',
      'A subject access request may be extended by two months at most, three months in all',
      {
        reasons: [
          {
            code: 'extension_limit',
            message: `Already extended by ${row.extended_months} month(s); ${body.months} more would make ${1 + total} months from receipt, beyond 3`
          }
        ]
      }
    )
  }
  const extensions = [
    ...row.extensions,
    { months: body.months, reason: body.reason, by: caller.sub, at: new Date().toISOString() }
  ]
  return await repo.updateRequest(trx, row.id, {
    extended_months: total,
    due_on: dueOn(row.received_on, total),
    extensions: jsonOf(extensions)
  })
}

export async function completeRequest(
  trx: Trx,
  caller: Caller,
  id: string,
  body: { sent_on: string },
  today: string
): Promise<SubjectAccessRequestRow> {
  const row = await openRequest(trx, caller.org as string, id, 'complete')
  if (body.sent_on > today) throw invalidInput([{ path: 'body/sent_on', message: 'must not be in the future' }])
  if (body.sent_on < row.received_on)
    throw invalidInput([{ path: 'body/sent_on', message: 'must not be before received_on' }])
  return await repo.updateRequest(trx, row.id, { status: 'completed', sent_on: body.sent_on, completed_by: caller.sub })
}
