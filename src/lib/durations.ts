const UNITS: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000
}

/**
 * A duration setting in milliseconds: `90s`, `15 minutes`, `8h`, `1 day`; a bare number counts in
 * `bareUnitMs` (milliseconds unless the setting says otherwise). Undefined when it is not one, or
 * not more than zero.
 */
export function parseDuration(text: string, bareUnitMs = 1): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  if (m === null) return undefined
  const unit = m[2] === '' ? bareUnitMs : UNITS[m[2].toLowerCase()]
  if (unit === undefined) return undefined
  const ms = Math.round(Number(m[1]) * unit)
  return Number.isFinite(ms) && ms > 0 ? ms : undefined
}
