/**
 * `npm run bench`: the performance bars of the quality spec, each against its baseline in the same
 * run, interleaving rounds and taking medians. Prints a markdown table. BENCH_QUICK=1 is a short
 * smoke run with smaller tables and shorter rounds.
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { signHs256 } from '../src/auth/dev-token.js'
import {
  averageRowBytes,
  createTenant,
  cursorForPage,
  freshDatabase,
  insertReferrals,
  sampleIds,
  withClient,
  type Tenant
} from './data.js'
import {
  capture,
  compare as compareRounds,
  fmt,
  freePort,
  killAll,
  median,
  ROOT,
  rssKb,
  sleep,
  spawnNode,
  startServer,
  stop,
  waitReady,
  type Measured,
  type Target
} from './harness.js'
import { measureIntake, startMailbox } from './intake.js'

const QUICK = process.env.BENCH_QUICK === '1'
const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
const SECRET = `bench-secret-${randomUUID()}`

const S = {
  rounds: QUICK ? 1 : 3,
  seconds: QUICK ? 2 : 10,
  warmup: QUICK ? 1 : 3,
  connections: 32,
  byIdRows: QUICK ? 10_000 : 100_000,
  deepRows: QUICK ? 100_000 : 1_000_000,
  postSeconds: QUICK ? 4 : 15,
  postConnections: 50,
  starts: QUICK ? 1 : 3
}
const PAGE = 50
const deepPage = S.deepRows / PAGE

const log = (msg: string): void => {
  process.stderr.write(`[bench] ${msg}\n`)
}
/** Interleaved rounds of the settings above. */
async function compare(what: string, targets: Target[]): Promise<Measured[]> {
  return await compareRounds(what, targets, S, log)
}

function token(org: string, role: string, sub: string): string {
  return signHs256(SECRET, { sub, roles: [role], org }, 6 * 3600)
}

const verdict = (ok: boolean): string => (ok ? 'pass' : '**FAIL**')

async function main(): Promise<void> {
  const began = Date.now()
  const rows: string[] = []
  const notes: string[] = []

  log(`${QUICK ? 'quick' : 'full'} run: ${S.rounds} rounds of ${S.seconds} s, ${S.connections} connections`)
  const dbUrl = await freshDatabase(ADMIN_URL, 'waymark_bench')
  const queuePrefix = `wmbench:${randomUUID().slice(0, 8)}`
  let byId!: Tenant
  let deep!: Tenant
  let intake!: Tenant
  let ids: string[] = []
  let deepCursor = ''
  let deepAfter = { at: '', id: '' }
  await withClient(dbUrl, async (c) => {
    byId = await createTenant(c, 'BNCHA')
    deep = await createTenant(c, 'BNCHB')
    intake = await createTenant(c, 'BNCHC')
    let t = Date.now()
    await insertReferrals(c, byId, S.byIdRows)
    log(`${S.byIdRows} referrals in ${Date.now() - t} ms`)
    t = Date.now()
    await insertReferrals(c, deep, S.deepRows)
    log(`${S.deepRows} referrals in ${Date.now() - t} ms`)
    await c.query('vacuum analyze referrals')
    ids = await sampleIds(c, byId.orgId, 20_000)
    const position = await cursorForPage(c, deep.orgId, deepPage, PAGE)
    deepCursor = position.cursor
    deepAfter = position
    const bytes = await averageRowBytes(c, byId.orgId)
    notes.push(
      `Rows: ${fmt(S.byIdRows)} referrals in one organisation for (a) and the list, ${fmt(S.deepRows)} in another for page depth; ${fmt(bytes)} bytes a row on disk.`
    )

    // The keyset page must walk the index, whatever the depth: no sort, no scan of skipped rows.
    const plan = await c.query<{ 'QUERY PLAN': string }>(
      'explain (analyze, buffers) select * from referrals where organisation_id = $1 and (created_at, id) < ($2, $3) order by created_at desc, id desc limit 51',
      [deep.orgId, deepAfter.at, deepAfter.id]
    )
    const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n')
    const usesIndex = /Index Scan using referrals_org_created_idx/.test(text) && !/\bSort\b/.test(text)
    const buffers = /Buffers: shared hit=(\d+)(?: read=(\d+))?/.exec(text) ?? []
    notes.push(
      `EXPLAIN of page ${fmt(deepPage)}: ${usesIndex ? 'Index Scan using referrals_org_created_idx, no sort' : 'NOT an index walk'}; ${buffers[1] ?? '?'} buffers hit${buffers[2] !== undefined ? `, ${buffers[2]} read` : ''}.`
    )
    rows.push(
      `| (b) EXPLAIN of page ${fmt(deepPage)} | ${usesIndex ? 'index scan on (organisation_id, created_at desc, id desc), no sort' : 'not an index walk'} | | | uses the index | ${verdict(usesIndex)} |`
    )
  })

  const common = {
    NODE_ENV: 'production',
    DATABASE_URL: dbUrl,
    DATABASE_POOL_SIZE: '16',
    REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    JWT_SECRET: SECRET,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '100000000'
  }

  // (a) and (b): the API alone against the bare baseline, both idle while the other is measured.
  const api = await startServer('src/main.ts', ['api'], common, '/health/ready')
  const bare = await startServer(
    'bench/baseline-server.ts',
    [],
    { ...common, BENCH_ORG_ID: byId.orgId },
    `/referrals/${ids[0]}`
  )
  try {
    const coordA = { authorization: `Bearer ${token(byId.orgId, 'coordinator', 'bench-coordinator')}` }
    const coordB = { authorization: `Bearer ${token(deep.orgId, 'coordinator', 'bench-coordinator')}` }

    const [fullGet, bareGet] = await compare('GET by id', [
      {
        label: 'full',
        url: api.url,
        headers: coordA,
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
    ])
    const getRatio = fullGet.rps / bareGet.rps
    rows.push(
      `| (a) GET /v1/referrals/{id}, ${S.connections} connections | ${fmt(fullGet.rps)} req/s, p50 ${fmt(fullGet.p50)} ms, p99 ${fmt(fullGet.p99)} ms, ${fmt(fullGet.cpuUs)} µs CPU/req | ${fmt(bareGet.rps)} req/s, p50 ${fmt(bareGet.p50)} ms, p99 ${fmt(bareGet.p99)} ms, ${fmt(bareGet.cpuUs)} µs CPU/req | ${fmt(getRatio, 2)}x | >= 1.0x | ${verdict(getRatio >= 1.0 && fullGet.failed === 0)} |`
    )

    const [fullList, bareList] = await compare('list page of 50', [
      {
        label: 'full',
        url: api.url,
        headers: coordA,
        paths: [`/v1/referrals?limit=${PAGE}`],
        pid: api.child.pid as number
      },
      { label: 'bare', url: bare.url, headers: {}, paths: [`/referrals?limit=${PAGE}`], pid: bare.child.pid as number }
    ])
    const listRatio = fullList.rps / bareList.rps
    rows.push(
      `| (b) GET /v1/referrals?limit=50 | ${fmt(fullList.rps)} req/s, p50 ${fmt(fullList.p50)} ms, p99 ${fmt(fullList.p99)} ms, ${fmt(fullList.cpuUs)} µs CPU/req | ${fmt(bareList.rps)} req/s, p50 ${fmt(bareList.p50)} ms, p99 ${fmt(bareList.p99)} ms, ${fmt(bareList.cpuUs)} µs CPU/req | ${fmt(listRatio, 2)}x | >= 1.2x | ${verdict(listRatio >= 1.2 && fullList.failed === 0)} |`
    )

    const [page1, pageDeep] = await compare('page depth', [
      {
        label: 'page 1',
        url: api.url,
        headers: coordB,
        paths: [`/v1/referrals?limit=${PAGE}`],
        pid: api.child.pid as number
      },
      {
        label: `page ${deepPage}`,
        url: api.url,
        headers: coordB,
        paths: [`/v1/referrals?limit=${PAGE}&cursor=${deepCursor}`],
        pid: api.child.pid as number
      }
    ])
    const depthCost = page1.rps / pageDeep.rps
    rows.push(
      `| (b) page ${fmt(deepPage)} vs page 1 of ${fmt(S.deepRows)} rows (full stack) | page ${fmt(deepPage)}: ${fmt(pageDeep.rps)} req/s, p50 ${fmt(pageDeep.p50)} ms | page 1: ${fmt(page1.rps)} req/s, p50 ${fmt(page1.p50)} ms | ${fmt(depthCost, 2)}x cost | <= 1.2x | ${verdict(depthCost <= 1.2 && pageDeep.failed === 0)} |`
    )
  } finally {
    await stop(api)
    await stop(bare)
  }

  // (c) intake under load through the whole service, acknowledgements to a real SMTP listener.
  const mailbox = await startMailbox()
  const service = await startServer(
    'src/main.ts',
    ['all'],
    { ...common, SMTP_URL: `smtp://127.0.0.1:${mailbox.port}`, QUEUE_PREFIX: `${queuePrefix}:intake` },
    '/health/ready'
  )
  try {
    const referrer = { authorization: `Bearer ${token(intake.orgId, 'referrer', 'bench-referrer')}` }
    const { res, answered, stored, latencies, p50, p99, lost, doubled, stray } = await measureIntake({
      url: service.url,
      dbUrl,
      orgId: intake.orgId,
      programmeId: intake.programmeId,
      headers: referrer,
      connections: S.postConnections,
      seconds: S.postSeconds,
      mailbox,
      settleMs: QUICK ? 500 : 2000,
      log
    })
    const rate = answered / S.postSeconds
    rows.push(
      `| (c) POST /v1/referrals, ${S.postConnections} clients, ${S.postSeconds} s | ${fmt(rate)} referrals/s sustained (${fmt(answered)} answered 201, ${fmt(res.bad + res.errors)} other, ${fmt(stored - answered)} in flight at the stop; request p50 ${fmt(res.p50)} ms, p99 ${fmt(res.p99)} ms) | | | no errors | ${verdict(res.bad + res.errors === 0)} |`
    )
    rows.push(
      `| (c) 201 to SMTP receipt (${fmt(latencies.length)} matched) | p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms | | | p99 < 2,000 ms | ${verdict(p99 < 2000)} |`
    )
    rows.push(
      `| (c) lost / doubled acknowledgements | ${lost} lost, ${doubled} doubled of ${fmt(stored)} referrals stored${stray > 0 ? `, ${stray} unexpected` : ''} | | | 0 and 0 | ${verdict(lost === 0 && doubled === 0 && stray === 0)} |`
    )
  } finally {
    await stop(service)
    await mailbox.close()
  }

  // (d) start-up to ready, migrations already applied, and idle RSS: the production build as the
  // Dockerfile runs it (the bar), and under tsx as `npm start` runs it.
  const built = await new Promise<number | null>((resolve) => {
    const build = spawn('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'ignore' })
    build.on('exit', resolve)
  })
  if (built !== 0) throw new Error('npm run build failed')
  const starts: Array<{ label: string; args: string[]; bar: boolean }> = [
    { label: 'node dist/waymark.mjs api', args: ['dist/waymark.mjs', 'api'], bar: true },
    { label: 'node dist/waymark.mjs all', args: ['dist/waymark.mjs', 'all'], bar: true },
    { label: 'tsx src/main.ts all', args: ['--import', 'tsx', 'src/main.ts', 'all'], bar: false }
  ]
  for (const s of starts) {
    const times: number[] = []
    const rss: number[] = []
    const internal: number[] = []
    for (let i = 0; i < S.starts + 1; i++) {
      const port = await freePort()
      const t0 = Date.now()
      const child = spawnNode(s.args, {
        ...common,
        LOG_LEVEL: 'info',
        PORT: String(port),
        HOST: '127.0.0.1',
        QUEUE_PREFIX: `${queuePrefix}:start`
      })
      const output = capture(child)
      await waitReady(`http://127.0.0.1:${port}/health/ready`, child, output)
      const t1 = Date.now()
      await sleep(QUICK ? 1000 : 3000)
      const readyLine = output
        .join('')
        .split('\n')
        .find((l) => l.includes('waymark ready'))
      // The first start warms the file cache (and tsx's transform cache); it is not counted.
      if (i > 0) {
        times.push(t1 - t0)
        rss.push(Math.round(rssKb(child.pid as number) / 1024))
        if (readyLine !== undefined) internal.push((JSON.parse(readyLine) as { ms: number }).ms)
      }
      await stop(child)
    }
    const t = median(times)
    rows.push(
      `| (d) start-up to ready, \`${s.label}\` (median of ${S.starts}) | ${fmt(t)} ms from spawn to /health/ready 200 (${fmt(median(internal))} ms of it inside main); idle RSS ${fmt(median(rss))} MB | | | ${s.bar ? '< 2,000 ms' : 'reported'} | ${s.bar ? verdict(t < 2000) : ''} |`
    )
  }

  const out = [
    `## Waymark benchmarks${QUICK ? ' (BENCH_QUICK smoke run: small tables, short rounds; not the figures of record)' : ''}`,
    '',
    `Median of ${S.rounds} interleaved round${S.rounds > 1 ? 's' : ''} of ${S.seconds} s each (after a ${S.warmup} s warm-up), autocannon with ${S.connections} connections in its own process; servers in their own processes, pg pool 16, LOG_LEVEL=warn for both sides.`,
    '',
    '| measure | full stack | baseline | ratio | bar | result |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    ...notes.map((n) => `- ${n}`),
    `- Baseline: bare Fastify + pg (\`bench/baseline-server.ts\`): the referral's stored columns (all but the rendering the service keeps beside them) by id and organisation, and the same keyset page, no auth, no response schema.`,
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
    killAll()
    process.exit(1)
  }
)
