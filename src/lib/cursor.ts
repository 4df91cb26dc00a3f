import { createHmac, timingSafeEqual } from 'node:crypto'
import { AppError } from '../errors/catalogue.js'

/**
 * Keyset position: the (created_at, id) of the last row of a page, opaque to clients. `at` is what a
 * JavaScript Date holds (milliseconds); `exact` is the instant as PostgreSQL stores it (microseconds)
 * when the list selected it as `cursor_at`. Comparing with `exact` keeps rows that share a millisecond
 * from being skipped between pages.
 */
export interface Position {
  at: Date
  id: string
  exact: string
}

// A check, not a secret: it catches a cursor that was altered or cut short. A forged cursor could only
// reach rows that the caller's own query allows anyway.
const CHECK_KEY = 'waymark-cursor-v1'
const CHECK_BYTES = 8
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const check = (payload: Buffer): Buffer =>
  createHmac('sha256', CHECK_KEY).update(payload).digest().subarray(0, CHECK_BYTES)

export function encodeCursor(p: { at: Date | string; id: string }): string {
  const at = typeof p.at === 'string' ? p.at : p.at.toISOString()
  const payload = Buffer.from(JSON.stringify([at, p.id]), 'utf8')
  return Buffer.concat([check(payload), payload]).toString('base64url')
}

export function decodeCursor(cursor: string | undefined): Position | null {
  if (cursor === undefined) return null
  try {
    const raw = Buffer.from(cursor, 'base64url')
    if (raw.toString('base64url') !== cursor || raw.length <= CHECK_BYTES) throw new Error('bad')
    const payload = raw.subarray(CHECK_BYTES)
    if (!timingSafeEqual(raw.subarray(0, CHECK_BYTES), check(payload))) throw new Error('bad')
    const parsed = JSON.parse(payload.toString('utf8')) as unknown
    if (!Array.isArray(parsed) || parsed.length !== 2) throw new Error('bad')
    const [at, id] = parsed as unknown[]
    if (typeof at !== 'string' || !INSTANT.test(at) || typeof id !== 'string' || !UUID.test(id)) throw new Error('bad')
    const date = new Date(at)
    if (Number.isNaN(date.getTime())) throw new Error('bad')
    return { at: date, id, exact: at }
  } catch {
    throw new AppError('validation_failed', 'The cursor is not valid', {
      errors: [{ path: 'query/cursor', message: 'is not a cursor this API issued' }]
    })
  }
}

/**
 * Splits a limit+1 fetch into the page and the cursor of the next one. Rows may carry `cursor_at`,
 * their created_at to the microsecond as text; without it the cursor holds milliseconds.
 */
export function pageOf<T extends { id: string } & ({ cursor_at: string } | { created_at: Date; cursor_at?: string })>(
  rows: T[],
  limit: number
): { rows: T[]; next: string | null } {
  if (rows.length <= limit) return { rows, next: null }
  const page = rows.slice(0, limit)
  const last = page[page.length - 1]
  return {
    rows: page,
    next: encodeCursor({ at: last.cursor_at ?? (last as { created_at: Date }).created_at, id: last.id })
  }
}

/**
 * A page whose items PostgreSQL has already rendered as JSON text, written out as the `Page` schema
 * would write it.
 */
export function renderedPage(items: Array<{ body: string }>, next: string | null): string {
  let out = '{"data":['
  for (let i = 0; i < items.length; i++) out += i === 0 ? items[i].body : `,${items[i].body}`
  return `${out}],"next_cursor":${next === null ? 'null' : JSON.stringify(next)}}`
}
