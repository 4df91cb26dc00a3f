import type { Executor } from '../db/database.js'
import { prepareMentor, type PreparedMentor } from './score.js'
import { mentorInput, profilesOf, profileStamp } from './candidates.repository.js'

interface Entry {
  stamp: string
  mentors: PreparedMentor[]
  byId: Map<string, PreparedMentor>
  loadedAt: number
}

/** A backstop: a change committed with an older timestamp than one already seen is picked up within this. */
const MAX_AGE_MS = 60_000

/**
 * The approved mentors of a programme with their text already turned into sets, kept in memory and
 * re-read only when a stamp changes: the latest change to the organisation's mentors, to the
 * programme's mentor list and to geocoded postcodes (three index probes). Places in use change with
 * every match and clearance with the calendar, so both are read fresh on each request; and a match is
 * only ever made after every rule is judged again on fresh rows. A suggestion then costs a few small
 * queries and a pass of arithmetic over the mentors, however many there are.
 */
export class MentorProfileCache {
  private readonly entries = new Map<string, Entry>()
  constructor(private readonly maxProgrammes = 50) {}

  async mentors(db: Executor, org: string, programmeId: string): Promise<PreparedMentor[]> {
    // One round trip: the freshness stamp, and the places in use (only mentors with an open match appear).
    const head = await profileStamp(db, org, programmeId)
    const stamp = head.stamp
    const key = `${org}:${programmeId}`
    let entry = this.entries.get(key)
    if (entry === undefined || entry.stamp !== stamp || Date.now() - entry.loadedAt > MAX_AGE_MS) {
      const rows = await profilesOf(db, org, programmeId)
      const mentors = rows.map((r) => prepareMentor(mentorInput(r, 0, true, true)))
      entry = { stamp, mentors, byId: new Map(mentors.map((m) => [m.input.id, m])), loadedAt: Date.now() }
      this.entries.delete(key)
      this.entries.set(key, entry)
      if (this.entries.size > this.maxProgrammes) this.entries.delete(this.entries.keys().next().value as string)
    }
    const inUse = new Map(head.used.map((r) => [r.mentor_id, r.n]))
    // Copies carry the counts, so concurrent requests never see each other's numbers.
    return entry.mentors.map((m) => {
      const n = inUse.get(m.input.id) ?? 0
      return n === 0 ? m : { ...m, input: { ...m.input, places_in_use: n } }
    })
  }
}
