import type { Executor } from '../db/database.js'
import type { Coordinates } from './geocoder.js'

export async function findLocations(db: Executor, postcodes: string[]): Promise<Map<string, Coordinates | null>> {
  const out = new Map<string, Coordinates | null>()
  if (postcodes.length === 0) return out
  const rows = await db
    .selectFrom('postcode_locations')
    .select(['postcode', 'found', 'latitude', 'longitude'])
    .where('postcode', 'in', postcodes)
    .execute()
  for (const r of rows)
    out.set(
      r.postcode,
      r.found && r.latitude !== null && r.longitude !== null ? { latitude: r.latitude, longitude: r.longitude } : null
    )
  return out
}

export async function saveLocations(
  db: Executor,
  source: string,
  found: Map<string, Coordinates | null>
): Promise<void> {
  if (found.size === 0) return
  const rows = [...found].map(([postcode, c]) => ({
    postcode,
    found: c !== null,
    latitude: c?.latitude ?? null,
    longitude: c?.longitude ?? null,
    source
  }))
  await db
    .insertInto('postcode_locations')
    .values(rows)
    .onConflict((oc) =>
      oc.column('postcode').doUpdateSet((eb) => ({
        found: eb.ref('excluded.found'),
        latitude: eb.ref('excluded.latitude'),
        longitude: eb.ref('excluded.longitude'),
        source: eb.ref('excluded.source'),
        fetched_at: new Date()
      }))
    )
    .execute()
}
