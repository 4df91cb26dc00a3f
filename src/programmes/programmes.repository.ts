import { sql } from 'kysely'
import type { Executor } from '../db/database.js'
import type { ProgrammeRow } from '../db/types.js'
import { jsonOf } from '../db/json.js'
import type { ProgrammeRules } from '../schemas/programmes.js'
import type { Position } from '../lib/cursor.js'

export async function insertProgramme(
  db: Executor,
  values: {
    organisation_id: string
    name: string
    kind: ProgrammeRow['kind']
    description: string | null
    active: boolean
    rules: ProgrammeRules
  }
): Promise<ProgrammeRow> {
  return await db
    .insertInto('programmes')
    .values({ ...values, rules: jsonOf(values.rules) })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function findProgramme(db: Executor, org: string, id: string): Promise<ProgrammeRow | undefined> {
  return await db
    .selectFrom('programmes')
    .selectAll()
    .where('id', '=', id)
    .where('organisation_id', '=', org)
    .executeTakeFirst()
}

export async function listProgrammes(
  db: Executor,
  org: string,
  filter: { active?: boolean },
  after: Position | null,
  limit: number
): Promise<ProgrammeRow[]> {
  let q = db.selectFrom('programmes').selectAll().where('organisation_id', '=', org)
  if (filter.active !== undefined) q = q.where('active', '=', filter.active)
  if (after !== null) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.at, after.id)))
  return await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute()
}

export async function updateProgramme(
  db: Executor,
  org: string,
  id: string,
  expectedVersion: number | null,
  set: { name?: string; description?: string; active?: boolean; rules?: ProgrammeRules }
): Promise<ProgrammeRow | undefined> {
  let q = db
    .updateTable('programmes')
    .set({
      ...(set.name !== undefined ? { name: set.name } : {}),
      ...(set.description !== undefined ? { description: set.description } : {}),
      ...(set.active !== undefined ? { active: set.active } : {}),
      ...(set.rules !== undefined ? { rules: jsonOf(set.rules) } : {}),
      version: sql`version + 1`,
      updated_at: sql`now()`
    })
    .where('id', '=', id)
    .where('organisation_id', '=', org)
  if (expectedVersion !== null) q = q.where('version', '=', expectedVersion)
  return await q.returningAll().executeTakeFirst()
}

/** Programmes by id, whatever their organisation: for scans across organisations. */
export async function programmesByIds(
  db: Executor,
  ids: string[]
): Promise<Array<Pick<ProgrammeRow, 'id' | 'name' | 'rules'>>> {
  if (ids.length === 0) return []
  return await db.selectFrom('programmes').select(['id', 'name', 'rules']).where('id', 'in', ids).execute()
}
