import { addDays, todayIn } from '../../src/lib/dates.js'

export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  ms = 10_000,
  what = 'condition'
): Promise<void> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Today as the API reckons it (the scheduling time zone, Europe/London by default). */
export function todayLocal(timeZone = 'Europe/London'): string {
  return todayIn(timeZone)
}

/** The date of birth of someone who turns `age` today, shifted by `days` (1: turns `age` tomorrow). */
export function birthDateForAge(age: number, days = 0, timeZone = 'Europe/London'): string {
  const [y, m, d] = todayLocal(timeZone)
    .split('-')
    .map((n) => Number.parseInt(n, 10))
  const year = y - age
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  const day = m === 2 && d === 29 && !leap ? 28 : d
  return addDays(`${String(year).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`, days)
}
