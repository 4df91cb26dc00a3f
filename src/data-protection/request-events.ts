import type { AccessedRecord, AuditAction } from '../audit/audit.repository.js'

/**
 * The events of reading or changing a subject access or erasure request: the request concerns its
 * subject, so one event per young person's referral and per mentor it names (the subject's access log
 * then shows who looked at the request). A request that names no record still gets one event.
 */
export function requestRecords(
  action: AuditAction,
  resourceType: 'subject_access_request' | 'erasure_request',
  row: { id: string; referral_ids: string[]; mentor_ids: string[] }
): AccessedRecord[] {
  const named: AccessedRecord[] = [
    ...row.referral_ids.map((referralId) => ({ action, resourceType, resourceId: row.id, referralId })),
    ...row.mentor_ids.map((mentorId) => ({ action, resourceType, resourceId: row.id, mentorId }))
  ]
  return named.length > 0 ? named : [{ action, resourceType, resourceId: row.id }]
}
