import { REFERRAL_COLUMNS } from '../referrals/referrals.repository.js'
import type { Executor } from '../db/database.js'

/** The rows a subject access export is made of, each set in one query. */

export async function youngPersonRows(db: Executor, org: string, referralIds: string[]) {
  const referrals = await db
    .selectFrom('referrals')
    .select(REFERRAL_COLUMNS)
    .where('organisation_id', '=', org)
    .where('id', 'in', referralIds)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  const history = await db
    .selectFrom('referral_status_history')
    .selectAll()
    .where('referral_id', 'in', referralIds)
    .orderBy('id')
    .execute()
  const matches = await db
    .selectFrom('matches')
    .innerJoin('mentors', 'mentors.id', 'matches.mentor_id')
    .selectAll('matches')
    .select(['mentors.given_name as mentor_given_name', 'mentors.family_name as mentor_family_name'])
    .where('matches.organisation_id', '=', org)
    .where('matches.referral_id', 'in', referralIds)
    .orderBy('matches.created_at')
    .orderBy('matches.id')
    .execute()
  const matchIds = matches.map((m) => m.id)
  const none = matchIds.length === 0
  const matchHistory = none
    ? []
    : await db.selectFrom('match_status_history').selectAll().where('match_id', 'in', matchIds).orderBy('id').execute()
  const sessions = none
    ? []
    : await db
        .selectFrom('match_sessions')
        .selectAll()
        .where('match_id', 'in', matchIds)
        .orderBy('held_on')
        .orderBy('id')
        .execute()
  const goals = none
    ? []
    : await db
        .selectFrom('match_goals')
        .selectAll()
        .where('match_id', 'in', matchIds)
        .orderBy('created_at')
        .orderBy('id')
        .execute()
  const evaluations = none
    ? []
    : await db
        .selectFrom('evaluations')
        .selectAll()
        .where('match_id', 'in', matchIds)
        .orderBy('due_on')
        .orderBy('id')
        .execute()
  const evaluationIds = evaluations.map((e) => e.id)
  const responses =
    evaluationIds.length === 0
      ? []
      : await db
          .selectFrom('evaluation_responses')
          .selectAll()
          .where('evaluation_id', 'in', evaluationIds)
          .orderBy('held_on')
          .orderBy('id')
          .execute()
  const concerns = await db
    .selectFrom('safeguarding_concerns')
    .selectAll()
    .where('organisation_id', '=', org)
    .where('referral_id', 'in', referralIds)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  const concernIds = concerns.map((c) => c.id)
  const concernActions =
    concernIds.length === 0
      ? []
      : await db
          .selectFrom('safeguarding_concern_actions')
          .selectAll()
          .where('concern_id', 'in', concernIds)
          .orderBy('id')
          .execute()
  const about: Array<[string, string[]]> = [
    ['referral', referralIds],
    ['match', matchIds],
    ['evaluation', evaluationIds],
    ['safeguarding_concern', concernIds]
  ]
  const notifications = await db
    .selectFrom('notifications')
    .selectAll()
    .where('organisation_id', '=', org)
    .where((eb) =>
      eb.or(
        about
          .filter(([, ids]) => ids.length > 0)
          .map(([type, ids]) => eb.and([eb('subject_type', '=', type), eb('subject_id', 'in', ids)]))
      )
    )
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  const accessLog = await db
    .selectFrom('audit_events')
    .selectAll()
    .where('organisation_id', '=', org)
    .where('referral_id', 'in', referralIds)
    .orderBy('at')
    .orderBy('id')
    .execute()
  return {
    referrals,
    history,
    matches,
    matchHistory,
    sessions,
    goals,
    evaluations,
    responses,
    concerns,
    concernActions,
    notifications,
    accessLog
  }
}

export async function mentorRows(db: Executor, org: string, mentorIds: string[]) {
  const mentors = await db
    .selectFrom('mentors')
    .selectAll()
    .where('organisation_id', '=', org)
    .where('id', 'in', mentorIds)
    .orderBy('created_at')
    .execute()
  const programmes = await db
    .selectFrom('mentor_programmes')
    .selectAll()
    .where('mentor_id', 'in', mentorIds)
    .orderBy('programme_id')
    .execute()
  const history = await db
    .selectFrom('mentor_status_history')
    .selectAll()
    .where('mentor_id', 'in', mentorIds)
    .orderBy('id')
    .execute()
  const interviews = await db
    .selectFrom('mentor_interviews')
    .selectAll()
    .where('mentor_id', 'in', mentorIds)
    .orderBy('held_on')
    .orderBy('id')
    .execute()
  const references = await db
    .selectFrom('mentor_references')
    .selectAll()
    .where('mentor_id', 'in', mentorIds)
    .orderBy('requested_on')
    .orderBy('id')
    .execute()
  const dbsChecks = await db
    .selectFrom('mentor_dbs_checks')
    .selectAll()
    .where('mentor_id', 'in', mentorIds)
    .orderBy('issued_on')
    .orderBy('id')
    .execute()
  const dbsIds = dbsChecks.map((d) => d.id)
  const dbsStatusChecks =
    dbsIds.length === 0
      ? []
      : await db
          .selectFrom('mentor_dbs_status_checks')
          .selectAll()
          .where('dbs_check_id', 'in', dbsIds)
          .orderBy('checked_on')
          .orderBy('id')
          .execute()
  const trainings = await db
    .selectFrom('mentor_trainings')
    .selectAll()
    .where('mentor_id', 'in', mentorIds)
    .orderBy('completed_on')
    .orderBy('id')
    .execute()
  const matches = await db
    .selectFrom('matches')
    .select([
      'id',
      'mentor_id',
      'programme_id',
      'status',
      'started_on',
      'closed_on',
      'close_reason_code',
      'created_at',
      'updated_at'
    ])
    .where('organisation_id', '=', org)
    .where('mentor_id', 'in', mentorIds)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  const allegations = await db
    .selectFrom('safeguarding_concerns')
    .select([
      'id',
      'mentor_id',
      'kind',
      'category',
      'raised_at',
      'occurred_on',
      'acknowledged_at',
      'lado_referred_on',
      'outcome',
      'outcome_at',
      'mentor_suspended',
      'created_at'
    ])
    .where('organisation_id', '=', org)
    .where('mentor_id', 'in', mentorIds)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  const emails = mentors.map((m) => m.email.toLowerCase())
  const notifications = await db
    .selectFrom('notifications')
    .selectAll()
    .where('organisation_id', '=', org)
    .where((eb) =>
      eb.or([
        eb.and([eb('subject_type', '=', 'mentor'), eb('subject_id', 'in', mentorIds)]),
        ...(emails.length > 0 ? [eb(eb.fn('lower', ['recipient']), 'in', emails)] : [])
      ])
    )
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  const accessLog = await db
    .selectFrom('audit_events')
    .selectAll()
    .where('organisation_id', '=', org)
    .where('mentor_id', 'in', mentorIds)
    .orderBy('at')
    .orderBy('id')
    .execute()
  return {
    mentors,
    programmes,
    history,
    interviews,
    references,
    dbsChecks,
    dbsStatusChecks,
    trainings,
    matches,
    allegations,
    notifications,
    accessLog
  }
}
