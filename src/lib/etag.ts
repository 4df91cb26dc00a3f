import { AppError } from '../errors/catalogue.js'

/** A strong ETag from a row's id and its version, which every update increments. */
export function etagOf(row: { id: string; version: number }): string {
  return `"${row.id.slice(0, 8)}-${row.version}"`
}

/** Honours If-Match: 412 (with the current ETag) unless it names the current version or `*`. */
export function checkIfMatch(ifMatch: string | undefined, row: { id: string; version: number }, what: string): void {
  if (ifMatch === undefined) return
  const current = etagOf(row)
  const candidates = ifMatch.split(',').map((s) => s.trim().replace(/^W\//, ''))
  if (!candidates.includes('*') && !candidates.includes(current)) {
    throw new AppError('precondition_failed', `The ${what} has changed since you read it; fetch it again and retry`, {
      headers: { etag: current }
    })
  }
}
