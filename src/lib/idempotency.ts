import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import type { Database } from '../db/database.js'
import type { Transaction } from 'kysely'
import type { DB } from '../db/types.js'
import { AppError } from '../errors/catalogue.js'
import type { Caller } from '../auth/roles.js'

export interface Stored<T> {
  status: number
  body: T
  replayed: boolean
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
    return `{${entries.join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

export function requestHash(operation: string, body: unknown): string {
  return createHash('sha256').update(operation).update('\n').update(canonical(body)).digest('hex')
}

/**
 * Runs a creating operation in one transaction, honouring an Idempotency-Key: the key, the records
 * and the response commit together, so a retry returns the first response and creates nothing, and
 * the same key with a different body is refused. Without a key, it is a plain transaction.
 */
export async function runIdempotent<T>(
  db: Database,
  caller: Caller,
  key: string | undefined,
  operation: string,
  body: unknown,
  work: (trx: Transaction<DB>) => Promise<{ status: number; body: T }>
): Promise<Stored<T>> {
  return await db.transaction().execute(async (trx) => {
    if (key === undefined) return { ...(await work(trx)), replayed: false }
    const hash = requestHash(operation, body)
    const org = caller.org ?? 'platform'
    const inserted = await trx
      .insertInto('idempotency_keys')
      .values({ organisation_id: org, caller_id: caller.sub, key, operation, request_hash: hash })
      .onConflict((oc) => oc.doNothing())
      .returning('key')
      .executeTakeFirst()
    if (inserted === undefined) {
      const existing = await trx
        .selectFrom('idempotency_keys')
        .selectAll()
        .where('organisation_id', '=', org)
        .where('caller_id', '=', caller.sub)
        .where('key', '=', key)
        .executeTakeFirstOrThrow()
      if (existing.operation !== operation || existing.request_hash !== hash || existing.response_status === null) {
        throw new AppError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request', {
          reasons: [{ code: 'idempotency_key_reused', message: 'Use a new key for a new request' }]
        })
      }
      return { status: existing.response_status, body: existing.response_body as T, replayed: true }
    }
    const result = await work(trx)
    await trx
      .updateTable('idempotency_keys')
      .set({ response_status: result.status, response_body: sql`${JSON.stringify(result.body)}::jsonb` })
      .where('organisation_id', '=', org)
      .where('caller_id', '=', caller.sub)
      .where('key', '=', key)
      .execute()
    return { ...result, replayed: false }
  })
}
