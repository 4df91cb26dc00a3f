/**
 * Alert texts. Like every message, they name no one: a mentor is identified by its record id, a
 * young person only by a referral reference. An email can be misdirected, and the log transport
 * writes messages out.
 */
export interface Message { subject: string, body: string }

const sign = '\n\nWaymark, on behalf of the programme team'
const matchesLine = (matches: Array<{ reference: string }>): string => matches.length === 0
  ? 'The mentor has no active matches.'
  : `Active matches affected: ${matches.map((m) => m.reference).join(', ')}.`

const TRAINING_WHEN: Record<string, (d: string) => string> = {
  due_30: (d) => `lapses on ${d}, within 30 days`,
  due_7: (d) => `lapses on ${d}, within 7 days`,
  expired: (d) => `lapsed on ${d}`
}

export function trainingToMentor (threshold: string, expiresOn: string, programmes: string[]): Message {
  const when = TRAINING_WHEN[threshold](expiresOn)
  return {
    subject: threshold === 'expired' ? 'Your safeguarding training has lapsed' : `Your safeguarding training lapses on ${expiresOn}`,
    body: `Hello,\n\nYour annual safeguarding training ${when} (${programmes.join(', ')}).${threshold === 'expired'
      ? ' Until you complete a refresher you are not cleared to mentor: please do not meet young people, and contact your coordinator.'
      : ' Please book a refresher with your coordinator before then, so that your mentoring can continue without a break.'}${sign}`
  }
}

export function trainingToCoordinator (mentorId: string, threshold: string, expiresOn: string, programmes: string[], matches: Array<{ reference: string }>): Message {
  return {
    subject: `Mentor ${mentorId.slice(0, 8)}: safeguarding training ${threshold === 'expired' ? 'lapsed' : `lapses on ${expiresOn}`}`,
    body: `Hello,\n\nThe safeguarding training of mentor ${mentorId} ${TRAINING_WHEN[threshold](expiresOn)} (${programmes.join(', ')}).${threshold === 'expired'
      ? ' The mentor is no longer cleared for these programmes.' : ''}\n\n${matchesLine(matches)}\n\nSee /v1/mentors/${mentorId}/compliance.${sign}`
  }
}

const DBS_WHEN: Record<string, (d: string) => string> = {
  due_60: (d) => `is due for renewal by ${d}, within 60 days`,
  overdue: (d) => `was due for renewal on ${d} and has lapsed`,
  status_check_due: (d) => `needs its Update Service status check before ${d}`,
  status_check_overdue: (d) => `missed its Update Service status check, due before ${d}`
}

export function dbsToMentor (threshold: string, expiresOn: string, programmes: string[]): Message {
  return {
    subject: threshold.endsWith('overdue') ? 'Your DBS check has lapsed' : 'Your DBS check needs attention',
    body: `Hello,\n\nYour DBS check ${DBS_WHEN[threshold](expiresOn)} (${programmes.join(', ')}). Please contact your coordinator${threshold.startsWith('status_check') ? ' and make sure your Update Service subscription is current' : ' to start the renewal'}.${sign}`
  }
}

export function dbsToCoordinator (mentorId: string, threshold: string, expiresOn: string, programmes: string[], matches: Array<{ reference: string }>): Message {
  return {
    subject: `Mentor ${mentorId.slice(0, 8)}: DBS ${threshold.startsWith('status_check') ? 'status check' : 'renewal'} ${threshold.endsWith('overdue') ? 'overdue' : `due by ${expiresOn}`}`,
    body: `Hello,\n\nThe DBS check of mentor ${mentorId} ${DBS_WHEN[threshold](expiresOn)} (${programmes.join(', ')}).\n\n${matchesLine(matches)}\n\nSee /v1/mentors/${mentorId}/compliance.${sign}`
  }
}
