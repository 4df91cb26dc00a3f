import { sql } from 'kysely'
import type { Executor } from '../../db/database.js'
import type { JobRunRow } from '../../db/types.js'
import type { Position } from '../../lib/cursor.js'
import { jsonOf } from '../../db/json.js'

export interface NewRun {
  name: string
  organisation_id: string | null
  as_of: string
  trigger: 'api' | 'schedule'
  requested_by: string | null
}

/**
 * A run judges the local day `as_of` and an instant: the one given, else the start of that day in
 * `timeZone` (a backfill for a day looks at what was due by the time the day began).
 */
export async function insertRun(
  db: Executor,
  values: NewRun,
  at: { instant: Date | null; timeZone: string }
): Promise<JobRunRow> {
  const instant = at.instant ?? sql<Date>`(${values.as_of}::date)::timestamp at time zone ${at.timeZone}`
  return await db
    .insertInto('job_runs')
    .values({ ...values, as_of_instant: instant, counts: jsonOf({}) })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function findRun(db: Executor, id: string, org?: string): Promise<JobRunRow | undefined> {
  let q = db.selectFrom('job_runs').selectAll().where('id', '=', id)
  if (org !== undefined) q = q.where('organisation_id', '=', org)
  return await q.executeTakeFirst()
}

/** Starts (or restarts, after a failure) a run; undefined when it already succeeded. */
export async function claimRun(db: Executor, id: string): Promise<JobRunRow | undefined> {
  return await db
    .updateTable('job_runs')
    .set({
      status: 'running',
      started_at: sql`now()`,
      updated_at: sql`now()`,
      attempts: sql`attempts + 1`,
      error: null
    })
    .where('id', '=', id)
    .where('status', '<>', 'succeeded')
    .returningAll()
    .executeTakeFirst()
}

export async function finishRun(db: Executor, id: string, counts: Record<string, number>): Promise<void> {
  await db
    .updateTable('job_runs')
    .set({
      status: 'succeeded',
      counts: jsonOf(counts),
      finished_at: sql`now()`,
      updated_at: sql`now()`,
      error: null
    })
    .where('id', '=', id)
    .execute()
}

export async function failRun(db: Executor, id: string, error: string): Promise<void> {
  await db
    .updateTable('job_runs')
    .set({ status: 'failed', error: error.slice(0, 500), finished_at: sql`now()`, updated_at: sql`now()` })
    .where('id', '=', id)
    .execute()
}

export interface JobRunFilter {
  name?: string
  status?: string
}

/** An organisation's runs, newest first, by keyset on (created_at, id). */
export async function listRuns(
  db: Executor,
  org: string,
  filter: JobRunFilter,
  after: Position | null,
  limit: number
): Promise<JobRunRow[]> {
  let q = db.selectFrom('job_runs').selectAll().where('organisation_id', '=', org)
  if (filter.name !== undefined) q = q.where('name', '=', filter.name)
  if (filter.status !== undefined) q = q.where('status', '=', filter.status)
  if (after !== null) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.at, after.id)))
  return await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute()
}
