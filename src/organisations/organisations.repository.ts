import type { Executor } from '../db/database.js'
import type { OrganisationRow } from '../db/types.js'

export async function insertOrganisation(
  db: Executor,
  values: { name: string; code: string }
): Promise<OrganisationRow> {
  return await db.insertInto('organisations').values(values).returningAll().executeTakeFirstOrThrow()
}

export async function findOrganisation(db: Executor, id: string): Promise<OrganisationRow | undefined> {
  return await db.selectFrom('organisations').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function findOrganisationByCode(db: Executor, code: string): Promise<OrganisationRow | undefined> {
  return await db.selectFrom('organisations').selectAll().where('code', '=', code).executeTakeFirst()
}
