import { createHash } from 'node:crypto'
import type { Database } from '../db/database.js'
import type { Transaction } from 'kysely'
import type { DB } from '../db/types.js'
import { AppError } from '../errors/catalogue.js'
import type { Caller } from '../auth/roles.js'
import { claimKey, findKey, storeResponse } from './idempotency.repository.js'

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
export async function runIdempotent<T extends object>(
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
    const owner = { organisation_id: caller.org ?? 'platform', caller_id: caller.sub, key }
    if (!(await claimKey(trx, owner, { operation, request_hash: hash }))) {
      const existing = await findKey(trx, owner)
      if (existing.operation !== operation || existing.request_hash !== hash || existing.response_status === null) {
        throw new AppError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request', {
          reasons: [{ code: 'idempotency_key_reused', message: 'Use a new key for a new request' }]
        })
      }
      // The body this operation stored, as JSON gave it back.
      return { status: existing.response_status, body: existing.response_body as T, replayed: true }
    }
    const result = await work(trx)
    await storeResponse(trx, owner, result)
    return { ...result, replayed: false }
  })
}
