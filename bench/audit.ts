/**
 * `npm run bench:audit`: what auditing costs. (a) `GET /v1/referrals/{id}` and (b) a list page of 50
 * through the whole stack, each writing its access events (one, and fifty), against the bare
 * Fastify + pg baseline (bench/baseline-server.ts, which writes nothing), in interleaved rounds; bars
 * >= 1.0x and >= 1.2x (quality, performance 7). (c) The ways a read could write its events, straight
 * on pg with 16 connections: no event, the event in the read's own statement (a data-modifying CTE)
 * committed durably, a second statement after the read, a transaction around both, and the CTE with
 * synchronous_commit off for its own transaction: what the API does for a read outside a change (see
 * `withEvents` in src/audit/audit.repository.ts: a crash of the PostgreSQL server itself within
 * wal_writer_delay could lose those read events; a crash of the service cannot).
 * (d) Every request answered wrote its events: counted in the database.
 *
 *   npm run bench:audit            (BENCH_QUICK=1 for a short smoke run; BENCH_ROUNDS, BENCH_SECONDS to change the rounds)
 */
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { signHs256 } from '../src/auth/dev-token.js'
import { createTenant, freshDatabase, insertReferrals, sampleIds, withClient, type Tenant } from './data.js'
import { compare, fmt, startServer, stop, type Rounds } from './harness.js'

const QUICK = process.env.BENCH_QUICK === '1'
const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
const SECRET = `bench-secret-${randomUUID()}`
const S: Rounds & { rows: number; microSeconds: number } = {
  rounds: Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 3)),
  seconds: Number(process.env.BENCH_SECONDS ?? (QUICK ? 2 : 10)),
  warmup: QUICK ? 1 : 3,
  connections: 32,
  rows: QUICK ? 10_000 : 100_000,
  microSeconds: QUICK ? 2 : 5
}
const PAGE = 50
const log = (msg: string): void => {
  process.stderr.write(`[bench:audit] ${msg}\n`)
}
const verdict = (ok: boolean): string => (ok ? 'pass' : '**FAIL**')

const EVENT_COLUMNS =
  'organisation_id, actor_id, actor_role, action, resource_type, resource_id, referral_id, mentor_id, purpose, request_id'
const RENDER = 'select id, version, r.rendering as body from referrals r where id = $1 and organisation_id = $2'
const PAGE_SQL =
  'select id, created_at, r.rendering as body from referrals r where organisation_id = $1 order by created_at desc, id desc limit $2'

interface Design {
  label: string
  run: (c: pg.PoolClient, id: string, org: string, n: number) => Promise<unknown>
}

/** The designs for a single read (n = 1) or a page (n = 50). */
function designs(n: number): Design[] {
  const read = n === 1 ? RENDER : PAGE_SQL
  const readArgs = (id: string, org: string): unknown[] => (n === 1 ? [id, org] : [org, n + 1])
  const cte =
    n === 1
      ? `with r as (${RENDER}), e as (insert into audit_events (${EVENT_COLUMNS}) select $2, 'bench', 'coordinator', 'read', 'referral', r.id, r.id, null, null, 'bench' from r) select * from r`
      : `with r as (${PAGE_SQL}), e as (insert into audit_events (${EVENT_COLUMNS}) select $1, 'bench', 'coordinator', 'read', 'referral', p.id, p.id, null, null, 'bench' from (select * from r order by created_at desc, id desc limit $3) p) select * from r order by created_at desc, id desc`
  const cteArgs = (id: string, org: string): unknown[] => (n === 1 ? [id, org] : [org, n + 1, n])
  const insert = async (c: pg.PoolClient, ids: string[], org: string): Promise<void> => {
    await c.query({
      name: `ins${n}`,
      text: `insert into audit_events (${EVENT_COLUMNS}) select $1, 'bench', 'coordinator', 'read', 'referral', x, x, null, null, 'bench' from unnest($2::uuid[]) x`,
      values: [org, ids]
    })
  }
  return [
    {
      label: 'read alone, no event',
      run: async (c, id, org) => await c.query({ name: `read${n}`, text: read, values: readArgs(id, org) })
    },
    {
      label: 'read + events in one statement (CTE), durable commit',
      run: async (c, id, org) => await c.query({ name: `cte${n}`, text: cte, values: cteArgs(id, org) })
    },
    {
      label: 'read, then an insert (2 round trips)',
      run: async (c, id, org) => {
        const r = await c.query<{ id: string }>({ name: `read${n}`, text: read, values: readArgs(id, org) })
        await insert(
          c,
          r.rows.slice(0, n).map((x) => x.id),
          org
        )
      }
    },
    {
      label: 'begin, read, insert, commit (4 round trips)',
      run: async (c, id, org) => {
        await c.query('begin')
        const r = await c.query<{ id: string }>({ name: `read${n}`, text: read, values: readArgs(id, org) })
        await insert(
          c,
          r.rows.slice(0, n).map((x) => x.id),
          org
        )
        await c.query('commit')
      }
    },
    {
      label: "CTE with synchronous_commit off, as the API's lists built at run time do",
      run: async (c, id, org) =>
        await c.query({ name: `cteasync${n}`, text: `/* async */ ${cte}`, values: cteArgs(id, org) })
    }
  ]
}

/** Statements per second over 16 connections for `seconds`, each design in turn (two passes, best kept). */
async function micro(
  url: string,
  t: Tenant,
  ids: string[],
  n: number
): Promise<Array<{ label: string; perSecond: number }>> {
  const out: Array<{ label: string; perSecond: number }> = []
  for (const d of designs(n)) {
    const pool = new pg.Pool({ connectionString: url, max: 16 })
    if (d.label.includes('synchronous_commit off'))
      pool.on('connect', (c) => {
        void c.query('set synchronous_commit = off')
      })
    let best = 0
    for (let pass = 0; pass < 2; pass++) {
      let done = 0
      const until = Date.now() + S.microSeconds * 1000
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          const c = await pool.connect()
          try {
            while (Date.now() < until) {
              await d.run(c, ids[Math.floor(Math.random() * ids.length)], t.orgId, n)
              done++
            }
          } finally {
            c.release()
          }
        })
      )
      best = Math.max(best, done / S.microSeconds)
    }
    await pool.end()
    log(`${n === 1 ? 'by id' : `page of ${n}`}: ${d.label}: ${Math.round(best)}/s`)
    out.push({ label: d.label, perSecond: best })
  }
  return out
}

async function main(): Promise<void> {
  const began = Date.now()
  const rows: string[] = []
  const notes: string[] = []
  const dbUrl = await freshDatabase(ADMIN_URL, 'waymark_bench_audit')
  let tenant!: Tenant
  let ids: string[] = []
  await withClient(dbUrl, async (c) => {
    tenant = await createTenant(c, 'BNCHAU')
    await insertReferrals(c, tenant, S.rows)
    await c.query('vacuum analyze referrals')
    ids = await sampleIds(c, tenant.orgId, 20_000)
  })
  log(`${S.rows} referrals`)
  const common = {
    NODE_ENV: 'production',
    DATABASE_URL: dbUrl,
    DATABASE_POOL_SIZE: '16',
    REDIS_URL,
    QUEUE_PREFIX: `wmbench:${randomUUID().slice(0, 8)}`,
    JWT_SECRET: SECRET,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '100000000'
  }
  const countEvents = async (): Promise<number> =>
    await withClient(dbUrl, async (c) =>
      Number((await c.query<{ n: string }>('select count(*) as n from audit_events')).rows[0].n)
    )

  const api = await startServer('src/main.ts', ['api'], common, '/health/ready')
  const bare = await startServer(
    'bench/baseline-server.ts',
    [],
    { ...common, BENCH_ORG_ID: tenant.orgId },
    `/referrals/${ids[0]}`
  )
  try {
    const coordinator = {
      authorization: `Bearer ${signHs256(SECRET, { sub: 'bench-coordinator', roles: ['coordinator'], org: tenant.orgId }, 6 * 3600)}`,
      'x-access-purpose': 'Benchmark'
    }

    // (d) first, on a known number of requests: every answer wrote its events.
    const before = await countEvents()
    const answered = { get: 0, list: 0 }
    for (let i = 0; i < 20; i++) {
      await Promise.all(
        ids.slice(i * 50, i * 50 + 50).map(async (id) => {
          if ((await fetch(`${api.url}/v1/referrals/${id}`, { headers: coordinator })).status === 200) answered.get++
        })
      )
      if ((await fetch(`${api.url}/v1/referrals?limit=${PAGE}`, { headers: coordinator })).status === 200)
        answered.list++
    }
    const written = (await countEvents()) - before
    const expected = answered.get + answered.list * PAGE
    rows.push(
      `| (d) events written for ${fmt(answered.get)} GETs and ${answered.list} pages of ${PAGE} | ${fmt(written)} | | | ${fmt(expected)} (one a row returned) | ${verdict(written === expected)} |`
    )

    const events0 = await countEvents()
    const [fullGet, bareGet] = await compare(
      'GET by id',
      [
        {
          label: 'full + event',
          url: api.url,
          headers: coordinator,
          paths: ids.map((id) => `/v1/referrals/${id}`),
          pid: api.child.pid as number
        },
        {
          label: 'bare',
          url: bare.url,
          headers: {},
          paths: ids.map((id) => `/referrals/${id}`),
          pid: bare.child.pid as number
        }
      ],
      S,
      log
    )
    const getRatio = fullGet.rps / bareGet.rps
    rows.push(
      `| (a) GET /v1/referrals/{id} with its access event, ${S.connections} connections | ${fmt(fullGet.rps)} req/s, p50 ${fmt(fullGet.p50)} ms, p99 ${fmt(fullGet.p99)} ms, ${fmt(fullGet.cpuUs)} µs CPU/req | ${fmt(bareGet.rps)} req/s, p50 ${fmt(bareGet.p50)} ms, p99 ${fmt(bareGet.p99)} ms, ${fmt(bareGet.cpuUs)} µs CPU/req | ${fmt(getRatio, 2)}x | >= 1.0x | ${verdict(getRatio >= 1.0 && fullGet.failed === 0)} |`
    )

    const [fullList, bareList] = await compare(
      'list page of 50',
      [
        {
          label: 'full + 50 events',
          url: api.url,
          headers: coordinator,
          paths: [`/v1/referrals?limit=${PAGE}`],
          pid: api.child.pid as number
        },
        {
          label: 'bare',
          url: bare.url,
          headers: {},
          paths: [`/referrals?limit=${PAGE}`],
          pid: bare.child.pid as number
        }
      ],
      S,
      log
    )
    const listRatio = fullList.rps / bareList.rps
    rows.push(
      `| (b) GET /v1/referrals?limit=50 with 50 access events | ${fmt(fullList.rps)} req/s, p50 ${fmt(fullList.p50)} ms, p99 ${fmt(fullList.p99)} ms, ${fmt(fullList.cpuUs)} µs CPU/req | ${fmt(bareList.rps)} req/s, p50 ${fmt(bareList.p50)} ms, p99 ${fmt(bareList.p99)} ms, ${fmt(bareList.cpuUs)} µs CPU/req | ${fmt(listRatio, 2)}x | >= 1.2x | ${verdict(listRatio >= 1.2 && fullList.failed === 0)} |`
    )
    notes.push(`${fmt((await countEvents()) - events0)} access events written during (a) and (b), warm-ups included.`)
  } finally {
    await stop(api)
    await stop(bare)
  }

  // (c) the designs, straight on pg (the servers stopped).
  for (const n of [1, PAGE]) {
    const results = await micro(dbUrl, tenant, ids, n)
    const base = results[0].perSecond
    for (const r of results) {
      rows.push(
        `| (c) ${n === 1 ? 'by id' : `page of ${n}`}: ${r.label}, pg, 16 connections | ${fmt(r.perSecond)} statements/s | ${fmt(base)}/s (no event) | ${fmt(r.perSecond / base, 2)}x | reported | |`
      )
    }
  }
  const size = await withClient(
    dbUrl,
    async (c) =>
      (
        await c.query<{ b: string; n: string }>(
          "select pg_size_pretty(pg_total_relation_size('audit_events')) as b, (select count(*) from audit_events) as n"
        )
      ).rows[0]
  )
  notes.push(
    `audit_events after the run: ${fmt(Number(size.n))} rows, ${size.b} with its indexes (the primary key (organisation_id, at, id) and four more; migration 0141).`
  )

  const out = [
    `## Auditing${QUICK ? ' (BENCH_QUICK smoke run: small tables, short rounds; not the figures of record)' : ''}`,
    '',
    `${fmt(S.rows)} referrals. Median of ${S.rounds} interleaved round${S.rounds > 1 ? 's' : ''} of ${S.seconds} s (after a ${S.warmup} s warm-up), autocannon with ${S.connections} connections in its own process; servers in their own processes, pg pool 16, LOG_LEVEL=warn; the API with \`X-Access-Purpose\` on every request.`,
    '',
    '| measure | full stack | baseline | ratio | bar | result |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    ...notes.map((n) => `- ${n}`),
    '- Baseline: bare Fastify + pg (`bench/baseline-server.ts`), the stored columns of a referral (not the rendering the service keeps beside them) by id and the same keyset page, no auth, no response schema, no event written.',
    `- Total bench time ${fmt((Date.now() - began) / 1000)} s on ${(await import('node:os')).cpus().length} cores.`
  ]
  process.stdout.write(`${out.join('\n')}\n`)
}

main().then(
  () => {
    process.exit(0)
  },
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`)
    process.exit(1)
  }
)
