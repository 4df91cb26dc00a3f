import type { FastifyBaseLogger } from 'fastify'
import type { Executor } from '../db/database.js'
import { normalisePostcode } from '../lib/postcodes.js'
import type { Coordinates, Geocoder } from './geocoder.js'
import { findLocations, saveLocations } from './locations.repository.js'

/**
 * Coordinates of postcodes: from the cache first, then the geocoder for the rest, whose answers
 * (found or not) are cached. Without a geocoder, or when it fails, the unknown ones stay null and
 * distances are estimated from the postcodes themselves.
 */
export async function locate(
  db: Executor,
  geocoder: Geocoder | null,
  postcodes: string[],
  log?: FastifyBaseLogger
): Promise<Map<string, Coordinates | null>> {
  const wanted = [...new Set(postcodes.map(normalisePostcode))]
  const known = await findLocations(db, wanted)
  const missing = wanted.filter((p) => !known.has(p))
  if (geocoder !== null && missing.length > 0) {
    try {
      const found = await geocoder.lookup(missing)
      for (const p of missing) if (!found.has(p)) found.set(p, null)
      await saveLocations(db, geocoder.source, found)
      for (const [p, c] of found) known.set(p, c)
    } catch (err) {
      // Never the postcodes themselves in the log: they are personal data.
      log?.warn(
        { err: { message: (err as Error).message }, postcodes: missing.length },
        'geocoder unavailable; distances estimated from postcodes'
      )
    }
  }
  return known
}
