import type { Executor } from '../db/database.js'
import type { SubjectAccessRequestRow } from '../db/types.js'
import type { EventRecord } from './events.repository.js'
import { mentorRows, youngPersonRows } from './export.repository.js'
import { toReferral } from '../referrals/referrals.service.js'

export const REDACTED = '[redacted]'

type Loose = Record<string, unknown>

/** Drops the columns that are the service's own bookkeeping, not information about anyone. */
function clean<T extends object>(row: T, ...drop: string[]): Loose {
  const out: Loose = {}
  for (const [k, v] of Object.entries(row)) {
    if (k === 'organisation_id' || drop.includes(k)) continue
    out[k] = v instanceof Date ? v.toISOString() : v
  }
  return out
}

export interface SubjectExport {
  document: {
    request: { id: string; received_on: string; due_on: string }
    generated_at: string
    controller: { organisation_id: string; name: string }
    subject: { type: 'young_person' | 'mentor' }
    sources: string[]
    redactions: string[]
    records: Record<string, Loose[]>
    notifications: Loose[]
    access_log: Loose[]
  }
  /** One per record in the export, for its audit events. */
  records: EventRecord[]
}

/**
 * Everything held about the subject of a request, as one document, with other people's personal
 * data left out: referrers' contact details (the subject is never the referrer here), referees'
 * names, message recipients, and, for a mentor, the young people of its matches.
 */
export async function buildExport(
  db: Executor,
  request: SubjectAccessRequestRow,
  organisation: { id: string; name: string }
): Promise<SubjectExport> {
  const org = organisation.id
  const base = {
    request: { id: request.id, received_on: request.received_on, due_on: request.due_on },
    generated_at: new Date().toISOString(),
    controller: { organisation_id: org, name: organisation.name }
  }
  const events: EventRecord[] = []
  const note = <R extends { id: string }>(
    type: EventRecord['type'],
    rows: R[],
    referral: (r: R) => string | null,
    mentor: (r: R) => string | null
  ): void => {
    for (const r of rows) events.push({ type, id: r.id, referral_id: referral(r), mentor_id: mentor(r) })
  }
  const recipientRedacted = (n: Loose): Loose => ({ ...n, recipient: REDACTED })

  if (request.referral_ids.length > 0) {
    const rows = await youngPersonRows(db, org, request.referral_ids)
    const mentorOf = new Map(rows.matches.map((m) => [m.id, m.mentor_id]))
    const referralOfMatch = new Map(rows.matches.map((m) => [m.id, m.referral_id]))
    const referralOfEvaluation = new Map(rows.evaluations.map((e) => [e.id, referralOfMatch.get(e.match_id) ?? null]))
    note(
      'referral',
      rows.referrals,
      (r) => r.id,
      () => null
    )
    note(
      'match',
      rows.matches,
      (m) => m.referral_id,
      (m) => m.mentor_id
    )
    note(
      'session',
      rows.sessions,
      (s) => referralOfMatch.get(s.match_id) ?? null,
      (s) => mentorOf.get(s.match_id) ?? null
    )
    note(
      'goal',
      rows.goals,
      (g) => referralOfMatch.get(g.match_id) ?? null,
      (g) => mentorOf.get(g.match_id) ?? null
    )
    note(
      'evaluation',
      rows.evaluations,
      (e) => referralOfMatch.get(e.match_id) ?? null,
      (e) => mentorOf.get(e.match_id) ?? null
    )
    note(
      'concern',
      rows.concerns,
      (c) => c.referral_id,
      (c) => (c.match_id === null ? null : (mentorOf.get(c.match_id) ?? null))
    )
    note(
      'notification',
      rows.notifications,
      (n) =>
        n.subject_id === null
          ? null
          : n.subject_type === 'referral'
            ? n.subject_id
            : n.subject_type === 'match'
              ? (referralOfMatch.get(n.subject_id) ?? null)
              : n.subject_type === 'evaluation'
                ? (referralOfEvaluation.get(n.subject_id) ?? null)
                : null,
      () => null
    )
    const referrals = rows.referrals.map((r) => {
      const shown = toReferral(r)
      const { email: _e, phone: _p, ...referrer } = shown.referrer
      return {
        ...shown,
        referrer: { ...referrer, email: REDACTED, ...(shown.referrer.phone !== undefined ? { phone: REDACTED } : {}) },
        anonymised_at: r.anonymised_at
      }
    })
    return {
      document: {
        ...base,
        subject: { type: 'young_person' },
        sources: [
          "referrals: the referral forms submitted by the professionals who referred the young person, and the coordinators' decisions",
          "matches, sessions, goals and evaluations: recorded by the programme's coordinators and the young person's mentor",
          'safeguarding_concerns: raised by mentors, referrers and coordinators',
          "notifications: messages the service sent about the young person's records",
          "access_log: every read and change of the young person's records"
        ],
        redactions: [
          "referrals[].referrer.email and phone: the referrer's contact details",
          'notifications[].recipient: the address each message went to'
        ],
        records: {
          referrals,
          referral_history: rows.history.map((h) => clean(h)),
          matches: rows.matches.map((m) => clean(m)),
          match_history: rows.matchHistory.map((h) => clean(h)),
          sessions: rows.sessions.map((s) => clean(s)),
          goals: rows.goals.map((g) => clean(g)),
          evaluations: rows.evaluations.map((e) => clean(e, 'reminded_threshold')),
          evaluation_responses: rows.responses.map((r) => clean(r)),
          safeguarding_concerns: rows.concerns.map((c) => clean(c)),
          safeguarding_concern_actions: rows.concernActions.map((a) => clean(a))
        },
        notifications: rows.notifications.map((n) => recipientRedacted(clean(n, 'dedupe_key', 'provider_message_id'))),
        access_log: rows.accessLog.map((e) => clean(e))
      },
      records: events
    }
  }

  const rows = await mentorRows(db, org, request.mentor_ids)
  const own = (r: { mentor_id: string }): string => r.mentor_id
  note(
    'mentor',
    rows.mentors,
    () => null,
    (m) => m.id
  )
  note('interview', rows.interviews, () => null, own)
  note('reference', rows.references, () => null, own)
  note('dbs_check', rows.dbsChecks, () => null, own)
  note('training', rows.trainings, () => null, own)
  note('match', rows.matches, () => null, own)
  note(
    'concern',
    rows.allegations,
    () => null,
    (a) => a.mentor_id
  )
  note(
    'notification',
    rows.notifications,
    () => null,
    (n) => (n.subject_type === 'mentor' ? n.subject_id : null)
  )
  return {
    document: {
      ...base,
      subject: { type: 'mentor' },
      sources: [
        "mentors: the mentor's application and profile",
        'interviews, references, dbs_checks, trainings: vetting records kept by the coordinators',
        "matches: the mentor's matches, without the young people's details",
        'allegations: allegations about the mentor, recorded under the safeguarding procedure',
        'notifications: messages the service sent to or about the mentor',
        "access_log: every read and change of the mentor's records"
      ],
      redactions: [
        'references[].referee_name: the referees are other people',
        'matches: the young people matched are other people; only dates, statuses and reasons are given',
        "access_log[].referral_id: the young people of the mentor's matches",
        'allegations: what was reported and who it concerned (a child) are left out; the kind, dates and outcome are given',
        'notifications[].recipient: the address each message went to'
      ],
      records: {
        mentors: rows.mentors.map((m) => clean(m, 'latitude', 'longitude')),
        mentor_programmes: rows.programmes.map((p) => clean(p)),
        mentor_history: rows.history.map((h) => clean(h)),
        interviews: rows.interviews.map((i) => clean(i)),
        references: rows.references.map((r) => ({ ...clean(r), referee_name: REDACTED })),
        dbs_checks: rows.dbsChecks.map((d) => clean(d)),
        dbs_status_checks: rows.dbsStatusChecks.map((d) => clean(d)),
        trainings: rows.trainings.map((t) => clean(t)),
        matches: rows.matches.map((m) => clean(m)),
        allegations: rows.allegations.map((a) => clean(a))
      },
      notifications: rows.notifications.map((n) => recipientRedacted(clean(n, 'dedupe_key', 'provider_message_id'))),
      access_log: rows.accessLog.map((e) => ({ ...clean(e), referral_id: e.referral_id === null ? null : REDACTED }))
    },
    records: events
  }
}
