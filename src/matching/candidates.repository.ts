import { sql } from 'kysely'
import type { Executor } from '../db/database.js'
import { clearedMentorIdsQuery } from '../mentors/compliance.repository.js'
import type { MentorInput } from './score.js'

/**
 * A mentor row as a MentorInput with one fixed shape (an explicit literal, not a spread of the driver's
 * row): the ranking loops read these thousands of times, and a single shape keeps that fast.
 */
export function mentorInput(
  r: Omit<MentorInput, 'serves_programme' | 'cleared' | 'places_in_use'>,
  placesInUse: number,
  servesProgramme: boolean,
  cleared: boolean
): MentorInput {
  return {
    id: r.id,
    given_name: r.given_name,
    gender: r.gender,
    cultural_heritage: r.cultural_heritage,
    languages: r.languages,
    interests: r.interests,
    skills: r.skills,
    experience_areas: r.experience_areas,
    experience_summary: r.experience_summary,
    postcode: r.postcode,
    latitude: r.latitude,
    longitude: r.longitude,
    availability: r.availability,
    delivery_modes: r.delivery_modes,
    capacity: r.capacity,
    places_in_use: placesInUse,
    professional_background: r.professional_background,
    works_in_care_system: r.works_in_care_system,
    serves_programme: servesProgramme,
    cleared
  }
}

/** Match statuses that hold one of a mentor's places. */
export const OPEN_MATCH_STATUSES = ['proposed', 'active', 'paused'] as const
const openStatuses = sql.join(OPEN_MATCH_STATUSES.map((s) => sql.lit(s)))

type CandidateRow = Omit<MentorInput, 'serves_programme' | 'cleared'> & { serves_programme: boolean }

export interface CandidateFilter {
  /** Modes the mentor must all offer. */
  modes: string[]
  /** Normalised genders accepted, or null for any. */
  genders: string[] | null
  excludeCareSystem: boolean
  /** A latitude/longitude box, applied only to mentors whose coordinates are known. */
  box: { minLat: number; maxLat: number; minLon: number; maxLon: number } | null
}

const columns = sql`
  m.id, m.given_name, m.gender, m.cultural_heritage, m.languages, m.interests, m.skills, m.experience_areas,
  m.experience_summary, m.postcode, coalesce(m.latitude, pl.latitude) as latitude, coalesce(m.longitude, pl.longitude) as longitude,
  m.availability, m.delivery_modes, m.capacity, m.professional_background, m.works_in_care_system,
  coalesce((select count(*) from matches x where x.mentor_id = m.id and x.status in (${openStatuses})), 0)::int as places_in_use`

/**
 * Approved mentors of a programme passing the hard rules SQL can judge cheaply (free place, delivery
 * modes, gender, care-system independence, a distance box). Clearance and the rest are judged after.
 */
export async function candidateMentors(
  db: Executor,
  org: string,
  programmeId: string,
  f: CandidateFilter
): Promise<CandidateRow[]> {
  const modes = f.modes.length === 0 ? sql`` : sql`and m.delivery_modes @> ${JSON.stringify(f.modes)}::jsonb`
  const genders = f.genders === null ? sql`` : sql`and lower(trim(m.gender)) = any(${f.genders}::text[])`
  const care = f.excludeCareSystem ? sql`and not m.works_in_care_system` : sql``
  const box =
    f.box === null
      ? sql``
      : sql`and (coalesce(m.latitude, pl.latitude) is null or (coalesce(m.latitude, pl.latitude) between ${f.box.minLat} and ${f.box.maxLat}
          and coalesce(m.longitude, pl.longitude) between ${f.box.minLon} and ${f.box.maxLon}))`
  const rows = await sql<CandidateRow>`
    select ${columns}, true as serves_programme
    from mentor_programmes mp
    join mentors m on m.id = mp.mentor_id
    left join postcode_locations pl on pl.postcode = m.postcode and pl.found
    where mp.programme_id = ${programmeId} and m.organisation_id = ${org} and m.status = 'approved'
      and m.capacity > (select count(*) from matches x where x.mentor_id = m.id and x.status in (${openStatuses}))
      ${modes} ${genders} ${care} ${box}`.execute(db)
  return rows.rows
}

/** The profiles of every approved mentor of a programme, for the in-memory cache. */
export async function profilesOf(
  db: Executor,
  org: string,
  programmeId: string
): Promise<Array<Omit<MentorInput, 'serves_programme' | 'cleared' | 'places_in_use'>>> {
  const rows = await sql<Omit<MentorInput, 'serves_programme' | 'cleared' | 'places_in_use'>>`
    select m.id, m.given_name, m.gender, m.cultural_heritage, m.languages, m.interests, m.skills, m.experience_areas,
      m.experience_summary, m.postcode, coalesce(m.latitude, pl.latitude) as latitude, coalesce(m.longitude, pl.longitude) as longitude,
      m.availability, m.delivery_modes, m.capacity, m.professional_background, m.works_in_care_system
    from mentor_programmes mp
    join mentors m on m.id = mp.mentor_id
    left join postcode_locations pl on pl.postcode = m.postcode and pl.found
    where mp.programme_id = ${programmeId} and m.organisation_id = ${org} and m.status = 'approved'`.execute(db)
  return rows.rows
}

/** One mentor of the organisation as matching sees it, whatever its status. */
export async function mentorForMatching(
  db: Executor,
  org: string,
  programmeId: string,
  mentorId: string
): Promise<CandidateRow | undefined> {
  const rows = await sql<CandidateRow>`
    select ${columns}, exists (select 1 from mentor_programmes mp where mp.mentor_id = m.id and mp.programme_id = ${programmeId}) as serves_programme
    from mentors m
    left join postcode_locations pl on pl.postcode = m.postcode and pl.found
    where m.id = ${mentorId} and m.organisation_id = ${org}`.execute(db)
  return rows.rows[0]
}

/** Which of these mentors are cleared on the day for the programme. */
export async function clearedAmong(
  db: Executor,
  org: string,
  programmeId: string,
  asOf: string,
  ids: string[]
): Promise<Set<string>> {
  if (ids.length === 0) return new Set()
  const rows = await sql<{ mentor_id: string }>`
    select c.mentor_id from (${clearedMentorIdsQuery(org, asOf, programmeId)}) c where c.mentor_id = any(${ids}::uuid[])`.execute(
    db
  )
  return new Set(rows.rows.map((r) => r.mentor_id))
}

/** Mentors without coordinates whose postcodes the geocoder has not been asked about. */
export async function unlocatedPostcodes(db: Executor, org: string, programmeId: string): Promise<string[]> {
  const rows = await sql<{ postcode: string }>`
    select distinct m.postcode from mentor_programmes mp join mentors m on m.id = mp.mentor_id
    where mp.programme_id = ${programmeId} and m.organisation_id = ${org} and m.status = 'approved' and m.latitude is null
      and not exists (select 1 from postcode_locations pl where pl.postcode = m.postcode)`.execute(db)
  return rows.rows.map((r) => r.postcode)
}

/**
 * In one round trip: the freshness stamp of a programme's mentor profiles (the latest change to the
 * organisation's mentors, to the programme's mentor list and to geocoded postcodes), and the places in
 * use (only mentors with an open match appear).
 */
export async function profileStamp(
  db: Executor,
  org: string,
  programmeId: string
): Promise<{ stamp: string; used: Array<{ mentor_id: string; n: number }> }> {
  const head = await sql<{ stamp: string; used: Array<{ mentor_id: string; n: number }> | null }>`
    select concat_ws('/',
      (select max(updated_at) from mentors where organisation_id = ${org}),
      (select max(created_at) from mentor_programmes where programme_id = ${programmeId}),
      (select max(fetched_at) from postcode_locations)) as stamp,
      (select json_agg(json_build_object('mentor_id', u.mentor_id, 'n', u.n)) from (
        select x.mentor_id, count(*)::int as n from matches x
        join mentor_programmes mp on mp.mentor_id = x.mentor_id and mp.programme_id = ${programmeId}
        where x.organisation_id = ${org} and x.status in (${openStatuses})
        group by x.mentor_id) u) as used`.execute(db)
  return { stamp: head.rows[0]?.stamp ?? '', used: head.rows[0]?.used ?? [] }
}
