import { normalisePostcode } from '../lib/postcodes.js'

/**
 * When two referrals may be of one young person (a school and a social worker referring the same
 * child): the same date of birth and a close name, or the same name in the same postcode sector. A
 * close name tolerates one typo (a letter missing, added, changed or two swapped) and given and
 * family names swapped; case, accents, spaces, hyphens and apostrophes never count. Only a flag for a
 * coordinator to judge: nothing is ever merged.
 */
export type DuplicateBasis = 'date_of_birth_and_name' | 'name_and_postcode_sector'

export interface PersonKey {
  given_name: string
  family_name: string
  date_of_birth: string
  postcode: string
}

/** A name reduced to its letters, lower case, without accents. */
export function normaliseName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}]/gu, '')
}

/** Given and family name normalised, in alphabetical order: swapped names give the same key. */
export function nameKey(p: Pick<PersonKey, 'given_name' | 'family_name'>): string {
  return [normaliseName(p.given_name), normaliseName(p.family_name)].sort().join(' ')
}

/** The postcode sector (`BR1 3AB` is in `BR1 3`). */
export function postcodeSector(postcode: string): string {
  return normalisePostcode(postcode).slice(0, -2)
}

/** Optimal string alignment distance (Levenshtein with adjacent swaps), stopping early beyond `max`. */
export function editDistance(a: string, b: string, max = 1): number {
  if (Math.abs(a.length - b.length) > max) return max + 1
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)]
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    let best = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2][j - 2] + 1)
      row.push(d)
      best = Math.min(best, d)
    }
    if (best > max) return max + 1
    rows.push(row)
  }
  return rows[a.length][b.length]
}

/** One typo at most across both names, in their own order or swapped. */
export function closeNames(
  a: Pick<PersonKey, 'given_name' | 'family_name'>,
  b: Pick<PersonKey, 'given_name' | 'family_name'>
): boolean {
  const [ag, af, bg, bf] = [a.given_name, a.family_name, b.given_name, b.family_name].map(normaliseName)
  return editDistance(ag, bg) + editDistance(af, bf) <= 1 || editDistance(ag, bf) + editDistance(af, bg) <= 1
}

/** Why two young people may be one, or null when nothing suggests it. */
export function duplicateBasis(a: PersonKey, b: PersonKey): DuplicateBasis | null {
  if (!closeNames(a, b)) return null
  if (a.date_of_birth === b.date_of_birth) return 'date_of_birth_and_name'
  if (nameKey(a) === nameKey(b) && postcodeSector(a.postcode) === postcodeSector(b.postcode))
    return 'name_and_postcode_sector'
  return null
}
