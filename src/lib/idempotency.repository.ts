import type { Executor } from '../db/database.js'
import type { IdempotencyKeyRow } from '../db/types.js'
import { jsonOf } from '../db/json.js'

export interface KeyOwner {
  organisation_id: string
  caller_id: string
  key: string
}

/** Claims the key for this request; false when it was claimed before (by this request or another). */
export async function claimKey(
  db: Executor,
  owner: KeyOwner,
  request: { operation: string; request_hash: string }
): Promise<boolean> {
  const inserted = await db
    .insertInto('idempotency_keys')
    .values({ ...owner, ...request })
    .onConflict((oc) => oc.doNothing())
    .returning('key')
    .executeTakeFirst()
  return inserted !== undefined
}

export async function findKey(db: Executor, owner: KeyOwner): Promise<IdempotencyKeyRow> {
  return await db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('organisation_id', '=', owner.organisation_id)
    .where('caller_id', '=', owner.caller_id)
    .where('key', '=', owner.key)
    .executeTakeFirstOrThrow()
}

/** Keeps the response the first request got, for its retries. */
export async function storeResponse(
  db: Executor,
  owner: KeyOwner,
  response: { status: number; body: object }
): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ response_status: response.status, response_body: jsonOf(response.body) })
    .where('organisation_id', '=', owner.organisation_id)
    .where('caller_id', '=', owner.caller_id)
    .where('key', '=', owner.key)
    .execute()
}
