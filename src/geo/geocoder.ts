import { normalisePostcode } from '../lib/postcodes.js'

export interface Coordinates {
  latitude: number
  longitude: number
}

/** Turns postcodes into coordinates. A postcode it does not know maps to null. */
export interface Geocoder {
  readonly source: string
  lookup: (postcodes: string[]) => Promise<Map<string, Coordinates | null>>
}

interface BulkAnswer {
  status?: number
  result?: Array<{
    query: string
    result: { postcode?: string; latitude?: number | null; longitude?: number | null } | null
  }>
}

const BATCH = 100

/**
 * A postcodes.io-compatible server (`POST /postcodes` with `{postcodes: [...]}`, at most 100 at a
 * time). Failures throw, and the caller falls back to estimates: a geocoder being down must never
 * stop matching.
 */
export class PostcodesIoGeocoder implements Geocoder {
  readonly source = 'postcodes.io'
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 2000
  ) {}

  async lookup(postcodes: string[]): Promise<Map<string, Coordinates | null>> {
    const out = new Map<string, Coordinates | null>()
    const unique = [...new Set(postcodes.map(normalisePostcode))]
    for (let i = 0; i < unique.length; i += BATCH) {
      const batch = unique.slice(i, i + BATCH)
      const res = await fetch(new URL('postcodes', this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ postcodes: batch }),
        signal: AbortSignal.timeout(this.timeoutMs)
      })
      if (!res.ok) throw new Error(`geocoder answered ${res.status}`)
      const body = (await res.json()) as BulkAnswer
      for (const item of body.result ?? []) {
        const key = normalisePostcode(item.query)
        const r = item.result
        out.set(
          key,
          r !== null && typeof r.latitude === 'number' && typeof r.longitude === 'number'
            ? { latitude: r.latitude, longitude: r.longitude }
            : null
        )
      }
    }
    return out
  }
}

export function createGeocoder(url: string | undefined): Geocoder | null {
  return url === undefined ? null : new PostcodesIoGeocoder(url)
}
