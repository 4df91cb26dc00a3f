import { sql } from 'kysely'
import type { Executor } from '../db/database.js'
import type { UserRow } from '../db/types.js'
import type { User } from '../schemas/users.js'
import type { Position } from '../lib/cursor.js'

export async function insertUser(
  db: Executor,
  values: {
    organisation_id: string
    email: string
    name: string
    roles: User['roles']
    subject: string | null
    safeguarding_lead?: boolean
  }
): Promise<UserRow> {
  return await db.insertInto('users').values(values).returningAll().executeTakeFirstOrThrow()
}

export async function findUser(db: Executor, org: string, id: string): Promise<UserRow | undefined> {
  return await db
    .selectFrom('users')
    .selectAll()
    .where('organisation_id', '=', org)
    .where('id', '=', id)
    .executeTakeFirst()
}

export async function listUsers(
  db: Executor,
  org: string,
  filter: { role?: string; active?: boolean; safeguarding_lead?: boolean },
  after: Position | null,
  limit: number
): Promise<UserRow[]> {
  let q = db.selectFrom('users').selectAll().where('organisation_id', '=', org)
  if (filter.role !== undefined) q = q.where(sql<boolean>`${filter.role} = any(roles)`)
  if (filter.active !== undefined) q = q.where('active', '=', filter.active)
  if (filter.safeguarding_lead !== undefined) q = q.where('safeguarding_lead', '=', filter.safeguarding_lead)
  if (after !== null) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.at, after.id)))
  return await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute()
}

export async function updateUser(
  db: Executor,
  org: string,
  id: string,
  expectedVersion: number,
  set: {
    email?: string
    name?: string
    roles?: User['roles']
    subject?: string | null
    active?: boolean
    safeguarding_lead?: boolean
  }
): Promise<UserRow | undefined> {
  return await db
    .updateTable('users')
    .set({ ...set, version: sql`version + 1`, updated_at: sql`now()` })
    .where('organisation_id', '=', org)
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .returningAll()
    .executeTakeFirst()
}

/** Active staff of an organisation holding a role: the recipients of coordinator or admin alerts. */
export async function recipientsWithRole(
  db: Executor,
  org: string,
  role: 'coordinator' | 'admin'
): Promise<Array<{ id: string; email: string; name: string }>> {
  return await db
    .selectFrom('users')
    .select(['id', 'email', 'name'])
    .where('organisation_id', '=', org)
    .where('active', '=', true)
    .where(sql<boolean>`${role} = any(roles)`)
    .orderBy('email')
    .execute()
}
