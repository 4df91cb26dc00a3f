import { normalisePostcode, postcodeArea, postcodeDistrict, postcodeSector } from '../lib/postcodes.js'

export interface Place {
  postcode: string | null
  latitude: number | null
  longitude: number | null
}

export type DistanceBasis = 'coordinates' | 'postcode' | 'sector' | 'district' | 'area' | 'unknown'

export interface Distance {
  km: number
  basis: DistanceBasis
}

const EARTH_KM = 6371.0088

/** Great-circle distance in kilometres. */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180
  const dLat = (lat2 - lat1) * rad
  const dLon = (lon2 - lon1) * rad
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_KM * Math.asin(Math.min(1, Math.sqrt(a)))
}

/**
 * Typical distances between two addresses sharing only part of a postcode, used when coordinates are
 * not known. A sector covers a few thousand addresses, a district a town or part of a borough, an area
 * a county or a group of boroughs.
 */
export const ESTIMATED_KM = { postcode: 0.2, sector: 1.5, district: 4, area: 15, unknown: 50 } as const

/** Keys of a postcode at every level, computed once per person. */
export interface PostcodeKeys {
  full: string
  sector: string
  district: string
  area: string
}

export function postcodeKeys(postcode: string | null): PostcodeKeys | null {
  if (postcode === null || postcode.replace(/\s+/g, '').length < 5) return null
  const full = normalisePostcode(postcode)
  return { full, sector: postcodeSector(full), district: postcodeDistrict(full), area: postcodeArea(full) }
}

/** From coordinates when both are known, otherwise estimated from the postcode they share. */
export function distanceBetween(
  a: { keys: PostcodeKeys | null; latitude: number | null; longitude: number | null },
  b: { keys: PostcodeKeys | null; latitude: number | null; longitude: number | null }
): Distance {
  if (a.latitude !== null && a.longitude !== null && b.latitude !== null && b.longitude !== null) {
    return { km: haversineKm(a.latitude, a.longitude, b.latitude, b.longitude), basis: 'coordinates' }
  }
  if (a.keys === null || b.keys === null) return { km: ESTIMATED_KM.unknown, basis: 'unknown' }
  if (a.keys.full === b.keys.full) return { km: ESTIMATED_KM.postcode, basis: 'postcode' }
  if (a.keys.sector === b.keys.sector) return { km: ESTIMATED_KM.sector, basis: 'sector' }
  if (a.keys.district === b.keys.district) return { km: ESTIMATED_KM.district, basis: 'district' }
  if (a.keys.area === b.keys.area) return { km: ESTIMATED_KM.area, basis: 'area' }
  return { km: ESTIMATED_KM.unknown, basis: 'unknown' }
}

/** Latitude/longitude box enclosing every point within `km` of a centre: a cheap SQL pre-filter. */
export function boundingBox(
  lat: number,
  lon: number,
  km: number
): { minLat: number; maxLat: number; minLon: number; maxLon: number } {
  const dLat = km / 111.2
  const dLon = km / (111.32 * Math.max(0.01, Math.cos((lat * Math.PI) / 180)))
  return { minLat: lat - dLat, maxLat: lat + dLat, minLon: lon - dLon, maxLon: lon + dLon }
}
