import pg from 'pg'
import { createDatabase } from '../src/db/database.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { encodeCursor } from '../src/lib/cursor.js'
import { Value } from 'typebox/value'
import { ProgrammeRulesSchema } from '../src/schemas/programmes.js'

export interface Tenant {
  orgId: string
  programmeId: string
}

/** Drops and re-creates the bench database, then migrates it. */
export async function freshDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    await admin.query(`drop database if exists "${name}" with (force)`)
    await admin.query(`create database "${name}"`)
  } finally {
    await admin.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const { db } = createDatabase(url.toString(), 1)
  try {
    await migrateToLatest(db)
  } finally {
    await db.destroy()
  }
  return url.toString()
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** An organisation and a programme without quotas. */
export async function createTenant(c: pg.Client, code: string): Promise<Tenant> {
  const org = await c.query<{ id: string }>('insert into organisations (name, code) values ($1, $2) returning id', [
    `Bench ${code}`,
    code
  ])
  const orgId = org.rows[0].id
  // The defaults the API stores for an empty rule set: no quotas, every referral screened.
  const rules = Value.Default(ProgrammeRulesSchema, {})
  const prog = await c.query<{ id: string }>(
    'insert into programmes (organisation_id, name, kind, rules) values ($1, $2, $3, $4) returning id',
    [orgId, 'Bench mentoring', 'mentoring', JSON.stringify(rules)]
  )
  return { orgId, programmeId: prog.rows[0].id }
}

const STATUSES = [
  'submitted',
  'acknowledged',
  'under_review',
  'information_requested',
  'accepted',
  'matched',
  'declined',
  'withdrawn',
  'closed'
]

/**
 * Inserts `count` referrals of about 1.3 KB each in one statement. created_at steps back one second
 * a row, so a keyset page walks a long, evenly spread index.
 */
export async function insertReferrals(c: pg.Client, t: Tenant, count: number, creators = 50): Promise<void> {
  await c.query('set synchronous_commit = off')
  const statuses = `array[${STATUSES.map((s) => `'${s}'`).join(',')}]`
  await c.query(
    `
    insert into referrals (organisation_id, programme_id, reference, status, created_by, young_person, referrer, needs, risks,
      preferences, consent, other_services, screening, referrer_key, education_setting_key, team_key, created_at, updated_at)
    select $1::uuid, $2::uuid, 'BNCH-' || lpad(i::text, 8, '0'), (${statuses})[1 + i % 9], 'referrer-' || (i % ${creators}),
      jsonb_build_object('given_name', 'Given' || i, 'family_name', 'Family-' || (i % 997), 'date_of_birth', '2011-05-14',
        'gender', 'female', 'languages', jsonb_build_array('English'),
        'postcode', 'BR1 3AB', 'education_setting', jsonb_build_object('name', 'Ravens Wood School', 'urn', '101695'),
        'school_year', 9, 'care_status', 'none',
        'interests', jsonb_build_array('football', 'drawing')),
      jsonb_build_object('name', 'Sam Teacher ' || (i % ${creators}), 'role', 'Head of Year', 'organisation', 'Ravens Wood School',
        'team', 'Pastoral', 'email', 'referrer' || (i % ${creators}) || '@school.example', 'is_parent_or_carer', false),
      jsonb_build_object('areas', jsonb_build_array('confidence', 'friendships', 'education_engagement'), 'level', 'medium',
        'statement', 'Finding it hard to settle after a move. Case ' || i || '.'),
      jsonb_build_object('cin_plan', false, 'child_protection_plan', false, 'specialist_camhs_active', false, 'history_of_violence', false),
      jsonb_build_object('mentor_gender', 'female'),
      jsonb_build_object('young_person', jsonb_build_object('given', true, 'recorded_on', '2026-11-01', 'recorded_by', 'Sam Teacher'),
        'parental', jsonb_build_object('given', true, 'recorded_on', '2026-11-02', 'name', 'Parent ' || i, 'relationship', 'mother')),
      jsonb_build_array('School nurse', 'Early help'),
      jsonb_build_object('outcome', 'eligible', 'reasons', jsonb_build_array(), 'age_at_referral', 15, 'screened_at', '2026-11-03T09:00:00.000Z'),
      'referrer' || (i % ${creators}) || '@school.example', 'urn:101695', 'ravens wood school/pastoral',
      timestamptz '2026-11-20T12:00:00Z' - make_interval(secs => i), timestamptz '2026-11-20T12:00:00Z' - make_interval(secs => i)
    from generate_series(1, ${Math.floor(count)}) as i`,
    [t.orgId, t.programmeId]
  )
}

/** Sample ids to look up, spread over the whole table. */
export async function sampleIds(c: pg.Client, orgId: string, n: number): Promise<string[]> {
  const r = await c.query<{ id: string }>(
    'select id from referrals where organisation_id = $1 order by random() limit $2',
    [orgId, n]
  )
  return r.rows.map((x) => x.id)
}

/** The last row before page `page` (1-based) of an organisation's newest-first list, and its cursor. */
export async function cursorForPage(
  c: pg.Client,
  orgId: string,
  page: number,
  limit: number
): Promise<{ cursor: string; at: string; id: string }> {
  const r = await c.query<{ at: string; id: string }>(
    `select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at, id from referrals
     where organisation_id = $1 order by created_at desc, id desc offset $2 limit 1`,
    [orgId, (page - 1) * limit - 1]
  )
  const row = r.rows[0]
  return { cursor: encodeCursor({ at: row.at, id: row.id }), at: row.at, id: row.id }
}

export async function averageRowBytes(c: pg.Client, orgId: string): Promise<number> {
  const r = await c.query<{ b: string }>(
    'select avg(pg_column_size(r.*))::int as b from (select * from referrals where organisation_id = $1 limit 1000) r',
    [orgId]
  )
  return Number(r.rows[0].b)
}
