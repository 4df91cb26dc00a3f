import { AppError } from '../errors/catalogue.js'

/** Keyset position: the (created_at, id) of the last row of a page, opaque to clients. */
export interface Position { at: Date, id: string }

export function encodeCursor (p: Position): string {
  return Buffer.from(JSON.stringify([p.at.toISOString(), p.id])).toString('base64url')
}

export function decodeCursor (cursor: string | undefined): Position | null {
  if (cursor === undefined) return null
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string]
    const date = new Date(at)
    if (Number.isNaN(date.getTime()) || typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) throw new Error('bad')
    return { at: date, id }
  } catch {
    throw new AppError('validation_failed', 'The cursor is not valid', { errors: [{ path: 'query/cursor', message: 'is not a cursor this API issued' }] })
  }
}

/** Splits a limit+1 fetch into the page and the cursor of the next one. */
export function pageOf<T extends { created_at: Date, id: string }> (rows: T[], limit: number): { rows: T[], next: string | null } {
  if (rows.length <= limit) return { rows, next: null }
  const page = rows.slice(0, limit)
  const last = page[page.length - 1]
  return { rows: page, next: encodeCursor({ at: last.created_at, id: last.id }) }
}
