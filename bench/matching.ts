/**
 * Matching at scale. (1) `GET /v1/referrals/{id}/mentor-suggestions` through the whole stack (auth,
 * tenancy, SQL pre-filter, clearance, scoring, response schema) against 10,000 mentors: p50 and p95
 * (bar: p95 < 50 ms). (2) `POST /v1/matching/plans` for 1,000 waiting referrals and 2,000 mentors:
 * time, and the plan's total against the optimum. The plan is solved exactly (Hungarian method on
 * capacity slots); its optimality is certified by the dual solution, re-checked over every pair, and a
 * greedy plan (best pairs first) is shown for comparison.
 *
 *   npx tsx bench/matching.ts      (BENCH_MATCH_MENTORS=10000 BENCH_PLAN_REFERRALS=1000 BENCH_PLAN_MENTORS=2000)
 */
import { randomUUID } from 'node:crypto'
import os from 'node:os'
import type pg from 'pg'
import pino from 'pino'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/config.js'
import { signHs256 } from '../src/auth/dev-token.js'
import { createDatabase } from '../src/db/database.js'
import { todayIn } from '../src/lib/dates.js'
import type { ProgrammeRules } from '../src/schemas/programmes.js'
import { clearedMentorIds } from '../src/mentors/compliance.repository.js'
import { candidateMentors, mentorInput } from '../src/matching/candidates.repository.js'
import { seekerOf } from '../src/matching/matching.service.js'
import { solvePlan, priorityOf } from '../src/matching/plans.service.js'
import { waitingReferrals } from '../src/matching/plans.repository.js'
import { greedyAssignment, optimalAssignment } from '../src/matching/assignment.js'
import { eligible, fitScore, pairKm, prepareMentor, prepareSeeker, weightsOf } from '../src/matching/score.js'
import { waitingDays } from '../src/matching/matching.service.js'
import { freshDatabase, insertReferrals, withClient, createTenant, type Tenant } from './data.js'
import { insertMentors } from './mentors.js'

const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const SECRET = 'bench-secret-0123456789-0123456789-abcdef'
const TODAY = todayIn('Europe/London')

const log = (msg: string): void => {
  process.stderr.write(`[bench:matching] ${msg}\n`)
}
const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}

const DISTRICTS: Array<[string, number, number]> = [
  ['BR1', 51.406, 0.015],
  ['BR2', 51.391, 0.021],
  ['BR3', 51.405, -0.033],
  ['BR5', 51.389, 0.104],
  ['BR6', 51.373, 0.091],
  ['SE6', 51.437, -0.019],
  ['SE9', 51.446, 0.056],
  ['SE12', 51.442, 0.019],
  ['SE20', 51.411, -0.058],
  ['CR0', 51.374, -0.098]
]
const INTERESTS = [
  'football',
  'music',
  'drawing',
  'gaming',
  'cooking',
  'basketball',
  'dance',
  'coding',
  'reading',
  'photography',
  'swimming',
  'drama'
]
const AREAS = [
  'self_esteem',
  'confidence',
  'motivation',
  'education_engagement',
  'friendships',
  'time_management',
  'job_hunting',
  'isolation',
  'higher_education'
]
const HERITAGE = [
  'Black British Caribbean',
  'Black British African',
  'White British',
  'British Indian',
  'British Pakistani',
  'Mixed White and Black Caribbean',
  'Polish',
  'Turkish'
]
const LANGUAGES = ['English', 'Polish', 'Somali', 'Urdu', 'Turkish', 'Yoruba', 'Tamil']

const pick = (xs: string[]): string =>
  `(array[${xs.map((x) => `'${x}'`).join(',')}])[1 + floor(random() * ${xs.length})::int]`
const sqlArray = (xs: string[]): string => `array[${xs.map((x) => `'${x}'`).join(',')}]`

/** Varied profiles for the mentors insertMentors made (which are uniform), and coordinates for their postcodes. */
async function varyMentors(c: pg.Client, t: Tenant): Promise<void> {
  await c.query('select setseed(0.42)')
  await c.query(
    `
    update mentors set
      gender = case when random() < 0.6 then 'female' else 'male' end,
      cultural_heritage = ${pick(HERITAGE)},
      languages = jsonb_build_array('English', ${pick(LANGUAGES)}),
      interests = (select jsonb_agg(x) from (select x from unnest(${sqlArray(INTERESTS)}) x order by random() + (id::text < '8')::int * 0 limit 3) s),
      skills = jsonb_build_array('homework help'),
      experience_areas = (select jsonb_agg(x) from (select x from unnest(${sqlArray(AREAS)}) x order by random() + (id::text < '8')::int * 0 limit 3) s),
      postcode = ${pick(DISTRICTS.map((d) => d[0]))} || ' ' || (1 + floor(random() * 9))::int || 'AB',
      availability = jsonb_build_array(jsonb_build_object('day', ${pick(['mon', 'tue', 'wed', 'thu', 'fri', 'sat'])}, 'part', ${pick(['afternoon', 'evening'])}),
                                       jsonb_build_object('day', 'sat', 'part', 'morning')),
      capacity = case when random() < 0.2 then 2 else 1 end
    where organisation_id = $1`,
    [t.orgId]
  )
  const values = DISTRICTS.flatMap(([d, lat, lon]) =>
    Array.from(
      { length: 9 },
      (_, i) => `('${d} ${i + 1}AB', true, ${lat + (i - 4) * 0.004}, ${lon + (i - 4) * 0.006}, 'bench')`
    )
  )
  await c.query(
    `insert into postcode_locations (postcode, found, latitude, longitude, source) values ${values.join(',')} on conflict do nothing`
  )
  await c.query(
    'update mentors m set latitude = pl.latitude, longitude = pl.longitude from postcode_locations pl where pl.postcode = m.postcode and m.organisation_id = $1',
    [t.orgId]
  )
}

/** `count` referrals of the programme waiting (accepted) for up to a year, with varied young people. */
async function waitingReferralsFor(c: pg.Client, t: Tenant, count: number): Promise<void> {
  await insertReferrals(c, t, count)
  await c.query(
    `
    update referrals set status = 'accepted',
      accepted_at = now() - make_interval(days => floor(random() * 365)::int),
      young_person = young_person || jsonb_build_object(
        'postcode', ${pick(DISTRICTS.map((d) => d[0]))} || ' ' || (1 + floor(random() * 9))::int || 'AB',
        'interests', (select jsonb_agg(x) from (select x from unnest(${sqlArray(INTERESTS)}) x order by random() + (id::text < '8')::int * 0 limit 2) s),
        'ethnicity', ${pick(HERITAGE)},
        'languages', jsonb_build_array(${pick(LANGUAGES)}, 'English')),
      needs = needs || jsonb_build_object('areas', (select jsonb_agg(x) from (select x from unnest(${sqlArray(AREAS)}) x order by random() + (id::text < '8')::int * 0 limit 2) s)),
      preferences = jsonb_build_object('mentor_gender', ${pick(['female', 'male', 'no_preference', 'no_preference'])})
    where programme_id = $1`,
    [t.programmeId]
  )
}

export async function benchMatching(mentors = 10_000, planReferrals = 1000, planMentors = 2000): Promise<string[]> {
  const url = await freshDatabase(ADMIN_URL, 'waymark_bench_matching')
  const { big, plan } = await withClient(url, async (c) => {
    const big = await createTenant(c, 'BMAT')
    const plan = await createTenant(c, 'BPLN')
    const t = Date.now()
    await insertMentors(c, big, mentors, TODAY)
    await varyMentors(c, big)
    await waitingReferralsFor(c, big, 200)
    await insertMentors(c, plan, planMentors, TODAY)
    await varyMentors(c, plan)
    await waitingReferralsFor(c, plan, planReferrals)
    await c.query('vacuum analyze')
    log(
      `${fmt(mentors + planMentors)} mentors and ${fmt(planReferrals + 200)} waiting referrals in ${fmt(Date.now() - t)} ms`
    )
    return { big, plan }
  })

  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: url,
    JWT_SECRET: SECRET,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_MAX: '1000000',
    QUEUE_PREFIX: `bench-${randomUUID().slice(0, 8)}`
  })
  const app = await buildApp(config)
  await app.ready()
  const rows: string[] = []
  try {
    const token = (org: string): string =>
      signHs256(SECRET, { sub: 'bench-coordinator', org, roles: ['coordinator'] }, 3600)
    const ids = await withClient(url, async (c) =>
      (
        await c.query<{ id: string }>(
          'select id from referrals where organisation_id = $1 and status = $2 order by id',
          [big.orgId, 'accepted']
        )
      ).rows.map((r) => r.id)
    )
    const headers = { authorization: `Bearer ${token(big.orgId)}` }
    const cleared = await (async () => {
      const { db } = createDatabase(url, 1)
      try {
        return (await clearedMentorIds(db, big.orgId, big.programmeId, TODAY)).size
      } finally {
        await db.destroy()
      }
    })()
    // Warm-up, then every referral in turn, several passes.
    for (const id of ids.slice(0, 20))
      await app.inject({ method: 'GET', url: `/v1/referrals/${id}/mentor-suggestions?limit=20`, headers })
    const times: number[] = []
    let returned = 0
    for (let pass = 0; pass < 3; pass += 1) {
      for (const id of ids) {
        const t0 = performance.now()
        const res = await app.inject({ method: 'GET', url: `/v1/referrals/${id}/mentor-suggestions?limit=20`, headers })
        times.push(performance.now() - t0)
        if (res.statusCode !== 200) throw new Error(`suggestions: ${res.statusCode} ${res.body}`)
        returned += (res.json() as { data: unknown[] }).data.length
      }
    }
    const p50 = percentile(times, 50)
    const p95 = percentile(times, 95)
    rows.push(
      `Machine load average during the run: ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' / ')} (1/5/15 min) on ${os.cpus().length} cores.`,
      '',
      '| mentor suggestions (full stack, in-process inject) | mentors | cleared today | requests | p50 | p95 | max | suggestions per answer | bar |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      `| GET /v1/referrals/{id}/mentor-suggestions?limit=20 | ${fmt(mentors)} | ${fmt(cleared)} | ${fmt(times.length)} | ${fmt(p50, 1)} ms | ${fmt(p95, 1)} ms | ${fmt(Math.max(...times), 1)} ms | ${fmt(returned / times.length, 1)} | p95 < 50 ms: ${p95 < 50 ? 'met' : 'NOT met'} |`,
      ''
    )
    log(`suggestions p50 ${fmt(p50, 1)} ms, p95 ${fmt(p95, 1)} ms`)

    // The plan through the API, end to end.
    const t0 = performance.now()
    const res = await app.inject({
      method: 'POST',
      url: '/v1/matching/plans',
      headers: { authorization: `Bearer ${token(plan.orgId)}` },
      payload: { programme_id: plan.programmeId }
    })
    const apiMs = performance.now() - t0
    if (res.statusCode !== 201) throw new Error(`plan: ${res.statusCode} ${res.body}`)
    const summary = (
      res.json() as {
        summary: {
          referrals: number
          mentors: number
          places: number
          pairs: number
          total_fit: number
          objective: number
          bound: number
          optimal: boolean
          elapsed_ms: number
          scoring_ms: number
        }
      }
    ).summary

    // The same problem solved directly, against a greedy plan and the trivial upper bound.
    const { db } = createDatabase(url, 2)
    let greedyObjective = 0
    let greedyPairs = 0
    let solverMs = 0
    try {
      const programme = await db
        .selectFrom('programmes')
        .selectAll()
        .where('id', '=', plan.programmeId)
        .executeTakeFirstOrThrow()
      const rules = programme.rules as ProgrammeRules
      const referrals = await waitingReferrals(db, plan.orgId, plan.programmeId)
      const deps = { db, geocoder: null, log: pino({ level: 'silent' }) as any }
      const seekers = await Promise.all(referrals.map(async (r) => prepareSeeker(await seekerOf(deps, r, TODAY))))
      const ok = await clearedMentorIds(db, plan.orgId, plan.programmeId, TODAY)
      const ms = (
        await candidateMentors(db, plan.orgId, plan.programmeId, {
          modes: ['in_person'],
          genders: null,
          excludeCareSystem: false,
          box: null
        })
      )
        .filter((m) => ok.has(m.id))
        .map((m) => prepareMentor(mentorInput(m, m.places_in_use, true, true)))
      const ctx = { rules, today: TODAY }
      const s0 = performance.now()
      solvePlan({ seekers, referrals, mentors: ms, ctx, today: TODAY })
      solverMs = performance.now() - s0
      const weights = weightsOf(rules)
      const pr = referrals.map((r) => priorityOf(waitingDays(r.accepted_at, TODAY)))
      const w = seekers.map((s, i) =>
        ms.map((m) => {
          const km = pairKm(s, m)
          return eligible(s, m, ctx, km) ? 1 + Math.round((fitScore(s, m, ctx, km, weights) + pr[i]) * 10000) : null
        })
      )
      const problem = {
        rows: seekers.length,
        capacities: ms.map((m) => m.input.capacity - m.input.places_in_use),
        weight: (i: number, j: number) => w[i][j]
      }
      const g = greedyAssignment(problem)
      greedyPairs = g.assignment.filter((j) => j >= 0).length
      // Less the 1 per pair that marks an allowed pair, as the plan's objective.
      greedyObjective = (g.total - greedyPairs) / 10000
      const exact = optimalAssignment(problem)
      log(
        `re-solved: ${fmt(exact.total / 10000, 4)} (certified ${String(exact.certified)}), greedy ${fmt(greedyObjective, 4)}`
      )
    } finally {
      await db.destroy()
    }
    rows.push(
      '| matching plan | waiting referrals | cleared mentors with a free place | places | pairs | POST /v1/matching/plans | solver in the API: scoring + Hungarian | objective (fit + waiting priority) | dual bound | optimal | greedy plan |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      `| ${fmt(planReferrals)} × ${fmt(planMentors)} | ${fmt(summary.referrals)} | ${fmt(summary.mentors)} | ${fmt(summary.places)} | ${fmt(summary.pairs)} | ${fmt(apiMs)} ms | ${fmt(summary.scoring_ms)} + ${fmt(summary.elapsed_ms - summary.scoring_ms)} ms (again in-process: ${fmt(solverMs)} ms) | ${fmt(summary.objective, 4)} | ${fmt(summary.bound, 4)} | ${summary.optimal ? 'yes, certified (dual feasible, gap 0)' : 'NOT certified'} | ${fmt(greedyObjective, 4)} (${fmt(greedyPairs)} pairs), ${fmt((100 * (summary.objective - greedyObjective)) / summary.objective, 2)}% below |`,
      ''
    )
  } finally {
    await app.close()
  }
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const m = Number.parseInt(process.env.BENCH_MATCH_MENTORS ?? '10000', 10)
  const r = Number.parseInt(process.env.BENCH_PLAN_REFERRALS ?? '1000', 10)
  const pm = Number.parseInt(process.env.BENCH_PLAN_MENTORS ?? '2000', 10)
  benchMatching(m, r, pm)
    .then((rows) => {
      process.stdout.write(`${rows.join('\n')}\n`)
      process.exit(0)
    })
    .catch((err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
      process.exit(1)
    })
}
