/**
 * Rows carry instants as `Date` (see src/db/types.ts); the API sends them as ISO 8601 strings in UTC,
 * as `Date.prototype.toISOString` writes them. These are the one conversion between the two.
 */
type WireValue<V> = V extends Date ? string : V

/** A row as the API sends it: each instant as its ISO 8601 string, every other field as it is. */
export type Wire<T> = { [K in keyof T]: WireValue<T[K]> }

export const iso = (d: Date): string => d.toISOString()
export const isoOrNull = (d: Date | null): string | null => (d === null ? null : d.toISOString())

export function wire<T extends object>(row: T): Wire<T> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(row)) out[k] = v instanceof Date ? v.toISOString() : v
  return out as Wire<T>
}
