/** Calendar arithmetic on 'YYYY-MM-DD' strings, free of time zones. */

export function parseDate(s: string): { y: number; m: number; d: number } {
  const [y, m, d] = s.split('-').map((n) => Number.parseInt(n, 10))
  return { y, m, d }
}

export function formatDate(y: number, m: number, d: number): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`
}

/** Whole years between a birth date and a day; a 29 February birthday falls on 1 March in other years. */
export function ageOn(dateOfBirth: string, on: string): number {
  const b = parseDate(dateOfBirth)
  const t = parseDate(on)
  let age = t.y - b.y
  if (t.m < b.m || (t.m === b.m && t.d < b.d)) age -= 1
  return age
}

const daysInMonth = (y: number, m: number): number => new Date(Date.UTC(y, m, 0)).getUTCDate()

/** Adds calendar months; the 31st plus one month is the last day of the next month. */
export function addMonths(date: string, months: number): string {
  const { y, m, d } = parseDate(date)
  const total = y * 12 + (m - 1) + months
  const ny = Math.floor(total / 12)
  const nm = total - ny * 12 + 1
  return formatDate(ny, nm, Math.min(d, daysInMonth(ny, nm)))
}

export function addDays(date: string, days: number): string {
  const { y, m, d } = parseDate(date)
  const t = new Date(Date.UTC(y, m - 1, d + days))
  return formatDate(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate())
}

export function daysBetween(from: string, to: string): number {
  const a = parseDate(from)
  const b = parseDate(to)
  return Math.round((Date.UTC(b.y, b.m - 1, b.d) - Date.UTC(a.y, a.m - 1, a.d)) / 86_400_000)
}

/** Today's date in a time zone, e.g. the scheme's local day in Europe/London. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit'
  }).formatToParts(now)
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? ''
  return `${get('year')}-${get('month')}-${get('day')}`
}
