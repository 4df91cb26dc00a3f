import { SIGN_OFF, type Message } from './message.js'

/** Safeguarding-training thresholds: 30 and 7 days before the lapse, and the lapse itself. */
export type TrainingThreshold = 'due_30' | 'due_7' | 'expired'
/** DBS thresholds: renewal due or lapsed, or (on the Update Service) a status check due or missed. */
export type DbsThreshold = 'due_60' | 'overdue' | 'status_check_due' | 'status_check_overdue'

/** What a mentor's own alert says: the threshold, the day and the programmes it concerns. */
export interface MentorAlertFacts<T extends string> {
  threshold: T
  expiresOn: string
  programmes: string[]
}

/** What coordinators are told besides: which mentor (staff may see a mentor's name) and the active matches affected. */
export interface CoordinatorAlertFacts<T extends string> extends MentorAlertFacts<T> {
  mentor: { id: string; given_name: string; family_name: string }
  matches: Array<{ reference: string }>
}

const nameOf = (m: CoordinatorAlertFacts<string>['mentor']): string => `${m.given_name} ${m.family_name}`

const matchesLine = (matches: Array<{ reference: string }>): string =>
  matches.length === 0
    ? 'The mentor has no active matches.'
    : `Active matches affected: ${matches.map((m) => m.reference).join(', ')}.`

const TRAINING_WHEN: Record<TrainingThreshold, (d: string) => string> = {
  due_30: (d) => `lapses on ${d}, within 30 days`,
  due_7: (d) => `lapses on ${d}, within 7 days`,
  expired: (d) => `lapsed on ${d}`
}

export function trainingToMentor(f: MentorAlertFacts<TrainingThreshold>): Message {
  const lapsed = f.threshold === 'expired'
  return {
    subject: lapsed ? 'Your safeguarding training has lapsed' : `Your safeguarding training lapses on ${f.expiresOn}`,
    body: `Hello,\n\nYour annual safeguarding training ${TRAINING_WHEN[f.threshold](f.expiresOn)} (${f.programmes.join(', ')}).${
      lapsed
        ? ' Until you complete a refresher you are not cleared to mentor: please do not meet young people, and contact your coordinator.'
        : ' Please book a refresher with your coordinator before then, so that your mentoring can continue without a break.'
    }${SIGN_OFF}`
  }
}

export function trainingToCoordinator(f: CoordinatorAlertFacts<TrainingThreshold>): Message {
  const lapsed = f.threshold === 'expired'
  return {
    subject: `${nameOf(f.mentor)}: safeguarding training ${lapsed ? 'lapsed' : `lapses on ${f.expiresOn}`}`,
    body: `Hello,\n\nThe safeguarding training of mentor ${nameOf(f.mentor)} ${TRAINING_WHEN[f.threshold](f.expiresOn)} (${f.programmes.join(', ')}).${
      lapsed ? ' The mentor is no longer cleared for these programmes.' : ''
    }\n\n${matchesLine(f.matches)}\n\nSee /v1/mentors/${f.mentor.id}/compliance.${SIGN_OFF}`
  }
}

const DBS_WHEN: Record<DbsThreshold, (d: string) => string> = {
  due_60: (d) => `is due for renewal by ${d}, within 60 days`,
  overdue: (d) => `was due for renewal on ${d} and has lapsed`,
  status_check_due: (d) => `needs its Update Service status check before ${d}`,
  status_check_overdue: (d) => `missed its Update Service status check, due before ${d}`
}

const statusCheck = (t: DbsThreshold): boolean => t === 'status_check_due' || t === 'status_check_overdue'
const overdue = (t: DbsThreshold): boolean => t === 'overdue' || t === 'status_check_overdue'

export function dbsToMentor(f: MentorAlertFacts<DbsThreshold>): Message {
  return {
    subject: overdue(f.threshold) ? 'Your DBS check has lapsed' : 'Your DBS check needs attention',
    body: `Hello,\n\nYour DBS check ${DBS_WHEN[f.threshold](f.expiresOn)} (${f.programmes.join(', ')}). Please contact your coordinator${
      statusCheck(f.threshold) ? ' and make sure your Update Service subscription is current' : ' to start the renewal'
    }.${SIGN_OFF}`
  }
}

export function dbsToCoordinator(f: CoordinatorAlertFacts<DbsThreshold>): Message {
  return {
    subject: `${nameOf(f.mentor)}: DBS ${statusCheck(f.threshold) ? 'status check' : 'renewal'} ${overdue(f.threshold) ? 'overdue' : `due by ${f.expiresOn}`}`,
    body: `Hello,\n\nThe DBS check of mentor ${nameOf(f.mentor)} ${DBS_WHEN[f.threshold](f.expiresOn)} (${f.programmes.join(', ')}).\n\n${matchesLine(f.matches)}\n\nSee /v1/mentors/${f.mentor.id}/compliance.${SIGN_OFF}`
  }
}
