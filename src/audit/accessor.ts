import type { FastifyRequest } from 'fastify'
import { primaryRole } from '../auth/roles.js'
import { AppError } from '../errors/catalogue.js'
import type { Executor } from '../db/database.js'
import {
  changedHere,
  matchParties,
  recordAccess,
  type AccessedRecord,
  type Accessor,
  type AuditAction,
  type AuditResourceType
} from './audit.repository.js'

export const PURPOSE_HEADER = 'x-access-purpose'
export const PURPOSE_MAX = 200

/** The `X-Access-Purpose` of a request: at most 200 characters (else 400); blank is none. */
export function purposeOf(request: FastifyRequest): string | null {
  const given = request.headers[PURPOSE_HEADER]
  if (given === undefined) return null
  const value = Array.isArray(given) ? given.join(', ') : given
  if (value.length > PURPOSE_MAX) {
    throw new AppError('validation_failed', `The ${PURPOSE_HEADER} header is longer than ${PURPOSE_MAX} characters`, {
      errors: [{ path: `headers/${PURPOSE_HEADER}`, message: `must be at most ${PURPOSE_MAX} characters` }]
    })
  }
  const trimmed = value.trim()
  return trimmed === '' ? null : trimmed
}

/** Who reads or changes records in this request: the caller, with the role the route let it act in. */
export function accessorOf(request: FastifyRequest): Accessor {
  const caller = request.caller
  return {
    org: caller.org as string,
    actorId: caller.sub,
    actorRole: primaryRole(caller, request.routeOptions.config.roles),
    purpose: purposeOf(request),
    requestId: request.id
  }
}

/** A scheduled job run acting on an organisation's records. */
export function jobAccessor(org: string, jobName: string, runId: string): Accessor {
  return { org, actorId: `job:${jobName}`, actorRole: 'system', purpose: null, requestId: runId }
}

/**
 * Writes the events of what this request read or changed. Inside the change's transaction for a
 * change; for a read, after the read and before anything is answered, so no record is sent whose
 * event is not committed.
 */
export async function audit(db: Executor, request: FastifyRequest, records: AccessedRecord[]): Promise<void> {
  await recordAccess(db, accessorOf(request), records)
}

/** The event of one record of a mentor's (its profile, vetting records, compliance). */
export const mentorRecord = (
  action: AuditAction,
  resourceType: AuditResourceType,
  resourceId: string,
  mentorId: string
): AccessedRecord => ({ action, resourceType, resourceId, mentorId })

/** The event of a match or one of its records (sessions, goals, evaluations): about its young person and its mentor. */
export const matchRecord = (
  action: AuditAction,
  resourceType: AuditResourceType,
  resourceId: string,
  match: { referral_id: string; mentor_id: string }
): AccessedRecord => ({ action, resourceType, resourceId, referralId: match.referral_id, mentorId: match.mentor_id })

/** Events for records that name their match (evaluations, concerns): each about that match's young person and mentor. */
export async function matchRecords(
  db: Executor,
  request: FastifyRequest,
  action: AuditAction,
  resourceType: AuditResourceType,
  rows: Array<{ id: string; match_id: string | null; referral_id?: string; mentor_id?: string | null }>
): Promise<AccessedRecord[]> {
  const parties = await matchParties(
    db,
    request.caller.org as string,
    rows.flatMap((r) => (r.match_id === null ? [] : [r.match_id]))
  )
  return rows.map((r) => {
    const match = r.match_id === null ? undefined : parties.get(r.match_id)
    return {
      action,
      resourceType,
      resourceId: r.id,
      referralId: match?.referral_id ?? r.referral_id ?? null,
      mentorId: r.mentor_id ?? match?.mentor_id ?? null
    }
  })
}

/**
 * The events of a change that reached beyond its record: the mentor's row if this transaction changed
 * it (`mentorAction`), and each match of the mentor it changed (a suspension pauses them).
 */
export async function auditMentorChanges(
  trx: Executor,
  request: FastifyRequest,
  mentorId: string,
  mentorAction: AuditAction | null
): Promise<void> {
  const changed = await changedHere(trx, request.caller.org as string, mentorId)
  await audit(trx, request, [
    ...(changed.mentor && mentorAction !== null ? [mentorRecord(mentorAction, 'mentor', mentorId, mentorId)] : []),
    ...changed.matches.map((m) => matchRecord('status_change', 'match', m.id, m))
  ])
}
