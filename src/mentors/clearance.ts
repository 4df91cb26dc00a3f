import type { Executor } from '../db/database.js'
import { evaluate } from './compliance.js'
import { loadRecords } from './compliance.repository.js'
import { announcedClearance, setAnnouncedClearance } from './mentors.repository.js'
import { emitEvent } from '../webhooks/webhook-events.js'

/**
 * Works out the clearance of some mentors on `asOf` and announces each change since the last one
 * (`mentor.clearance_changed`), in the caller's transaction. The first time a mentor's clearance is
 * worked out there is nothing to compare with: it is recorded, not announced. Returns the changes.
 */
export async function announceClearance(db: Executor, mentorIds: string[], asOf: string): Promise<number> {
  if (mentorIds.length === 0) return 0
  const records = await loadRecords(db, null, mentorIds)
  let changes = 0
  for (const m of await announcedClearance(db, mentorIds)) {
    const r = records.get(m.id)
    if (r === undefined) continue
    const cleared = evaluate(r, asOf).cleared
    if (m.announced_cleared === cleared) continue
    await setAnnouncedClearance(db, m.id, cleared)
    if (m.announced_cleared === null) continue
    await emitEvent(db, m.organisation_id, 'mentor.clearance_changed', { id: m.id, status: r.status, cleared })
    changes += 1
  }
  return changes
}
