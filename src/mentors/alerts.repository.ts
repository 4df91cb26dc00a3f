import { sql, type RawBuilder } from 'kysely'
import type { Executor } from '../db/database.js'
import type { DbsRecord } from './compliance.js'
import { dbsRecordsOf } from './compliance.repository.js'

/** Mentors whose clearance matters day to day: approved, or suspended pending a decision. */
export const ALERTED_STATUSES = ['approved', 'suspended']

export interface ScannedMentor {
  id: string
  organisation_id: string
  email: string
  given_name: string
  family_name: string
}

/** One keyset batch of the mentors the alert scans cover: alerted statuses, one organisation or all, after an id. */
export function scannedMentors(org: string | null, after: string | null, size: number): RawBuilder<ScannedMentor> {
  return sql<ScannedMentor>`select id, organisation_id, email, given_name, family_name from mentors
    where status in (${sql.join(ALERTED_STATUSES)})
    ${org !== null ? sql`and organisation_id = ${org}` : sql``}
    ${after !== null ? sql`and id > ${after}` : sql``}
    order by id limit ${size}`
}

export type WithTraining = ScannedMentor & { programme_id: string | null; completed_on: string | null }

/** Each mentor of the batch beside each programme it serves, with its latest safeguarding training by `asOf`. */
export async function withSafeguardingTraining(
  db: Executor,
  mentors: RawBuilder<ScannedMentor>,
  asOf: string
): Promise<WithTraining[]> {
  return (
    await sql<WithTraining>`
    select m.id, m.organisation_id, m.email, m.given_name, m.family_name, mp.programme_id,
      (select max(t.completed_on) from mentor_trainings t
        where t.mentor_id = m.id and t.kind = 'safeguarding' and t.completed_on <= ${asOf}::date) as completed_on
    from (${mentors}) m left join mentor_programmes mp on mp.mentor_id = m.id
    order by m.id`.execute(db)
  ).rows
}

export type WithDbs = ScannedMentor & { programme_ids: string[]; dbs: DbsRecord[] }

/** Each mentor of the batch with its programmes and its DBS checks (with their status checks). */
export async function withDbsChecks(db: Executor, mentors: RawBuilder<ScannedMentor>): Promise<WithDbs[]> {
  return (
    await sql<WithDbs>`
    select m.id, m.organisation_id, m.email, m.given_name, m.family_name,
      coalesce((select array_agg(mp.programme_id) from mentor_programmes mp where mp.mentor_id = m.id), '{}') as programme_ids,
      ${dbsRecordsOf(sql.ref('m.id'))} as dbs
    from (${mentors}) m order by m.id`.execute(db)
  ).rows
}
