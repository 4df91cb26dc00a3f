/**
 * `npm run bench`: the performance bars of the quality spec, each against its baseline in the same
 * run, interleaving rounds and taking medians. Prints a markdown table. BENCH_QUICK=1 is a short
 * smoke run with smaller tables and shorter rounds.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { SMTPServer } from 'smtp-server'
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

const QUICK = process.env.BENCH_QUICK === '1'
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
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
const sleep = async (ms: number): Promise<void> => {
  await new Promise((resolve) => setTimeout(resolve, ms))
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}
const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => {
        resolve(port)
      })
    })
  })
}

interface Server {
  name: string
  url: string
  child: ChildProcess
  output: string[]
}
const children = new Set<ChildProcess>()

/** Runs a TypeScript entry point in its own Node process (tsx as a loader, so the pid is the server's). */
function node(file: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, file), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  children.add(child)
  child.on('exit', () => children.delete(child))
  return child
}

async function waitReady(url: string, child: ChildProcess, output: string[], ms = 30_000): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < ms) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}): ${output.join('').slice(-2000)}`)
    try {
      const res = await fetch(url)
      if (res.status === 200) return Date.now()
    } catch {
      /* not listening yet */
    }
    await sleep(10)
  }
  throw new Error(`server not ready after ${ms} ms: ${output.join('').slice(-2000)}`)
}

async function startServer(
  name: string,
  file: string,
  args: string[],
  env: Record<string, string>,
  readyPath: string
): Promise<Server> {
  const port = await freePort()
  const child = node(file, args, { ...env, PORT: String(port), HOST: '127.0.0.1' })
  const output: string[] = []
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString('utf8')))
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString('utf8')))
  const url = `http://127.0.0.1:${port}`
  await waitReady(`${url}${readyPath}`, child, output)
  return { name, url, child, output }
}

async function stop(s: Server | ChildProcess): Promise<void> {
  const child = 'child' in s ? s.child : s
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await Promise.race([exited, sleep(12_000)])
  if (child.exitCode === null) child.kill('SIGKILL')
}

interface LoadResult {
  rps: number
  total: number
  p50: number
  p99: number
  non2xx: number
  errors: number
  bad: number
  acks?: Array<[string, number]>
}

async function load(job: {
  url: string
  connections: number
  duration: number
  headers: Record<string, string>
  paths?: string[]
  post?: { path: string; body: string }
}): Promise<LoadResult> {
  const file = path.join(tmpdir(), `waymark-bench-${randomUUID()}.json`)
  writeFileSync(file, JSON.stringify(job))
  const child = node('bench/load.ts', [file], {})
  let out = ''
  let err = ''
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString('utf8')
  })
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString('utf8')
  })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  rmSync(file, { force: true })
  if (code !== 0) throw new Error(`load generator failed: ${err.slice(-2000)}`)
  const r = JSON.parse(out.trim().split('\n').pop() as string) as LoadResult
  if (r.non2xx > 0 || r.errors > 0)
    log(`warning: ${job.url}${job.paths?.[0] ?? job.post?.path}: ${r.non2xx} non-2xx, ${r.errors} errors`)
  return r
}

interface Target {
  label: string
  url: string
  headers: Record<string, string>
  paths: string[]
  pid: number
}
interface Measured {
  rps: number
  p50: number
  p99: number
  failed: number
  cpuUs: number
}

/** User + system CPU of a process so far, in microseconds (clock ticks are 10 ms here). */
function cpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10_000
}

/** Interleaved rounds: every target once per round, medians over the rounds. */
async function compare(what: string, targets: Target[]): Promise<Measured[]> {
  for (const t of targets) {
    await load({ url: t.url, connections: S.connections, duration: S.warmup, headers: t.headers, paths: t.paths })
  }
  const rounds: Array<Array<LoadResult & { cpu: number }>> = targets.map(() => [])
  for (let r = 0; r < S.rounds; r++) {
    // Alternate the order so neither side always runs first.
    const order = r % 2 === 0 ? targets.map((_, i) => i) : targets.map((_, i) => i).reverse()
    for (const i of order) {
      const t = targets[i]
      const c0 = cpuUs(t.pid)
      const res = await load({
        url: t.url,
        connections: S.connections,
        duration: S.seconds,
        headers: t.headers,
        paths: t.paths
      })
      const cpu = (cpuUs(t.pid) - c0) / Math.max(1, res.total)
      rounds[i].push({ ...res, cpu })
      log(
        `${what} round ${r + 1}: ${t.label} ${Math.round(res.rps)} req/s p50 ${res.p50} ms p99 ${res.p99} ms, ${Math.round(cpu)} µs server CPU a request`
      )
    }
  }
  return rounds.map((rs) => ({
    rps: median(rs.map((x) => x.rps)),
    p50: median(rs.map((x) => x.p50)),
    p99: median(rs.map((x) => x.p99)),
    failed: rs.reduce((n, x) => n + x.non2xx + x.errors, 0),
    cpuUs: median(rs.map((x) => x.cpu))
  }))
}

function token(org: string, role: string, sub: string): string {
  return signHs256(SECRET, { sub, roles: [role], org }, 6 * 3600)
}

function referralBody(programmeId: string): string {
  return JSON.stringify({
    programme_id: programmeId,
    young_person: {
      given_name: 'Bench',
      family_name: 'Person',
      date_of_birth: '2012-03-14',
      gender: 'female',
      postcode: 'BR1 3AB',
      care_status: 'none',
      education_setting: { name: 'Ravens Wood School', urn: '101695' },
      school_year: 9,
      interests: ['football']
    },
    referrer: {
      name: 'Sam Teacher',
      role: 'Head of Year',
      organisation: 'Ravens Wood School',
      team: 'Pastoral',
      email: 'sam.teacher@school.example',
      is_parent_or_carer: false
    },
    needs: { areas: ['confidence'], level: 'medium', statement: 'Finding it hard to settle after a move.' },
    risks: { cin_plan: false },
    preferences: { mentor_gender: 'no_preference' },
    consent: {
      young_person: { given: true, recorded_on: '2026-01-05', recorded_by: 'Sam Teacher' },
      parental: { given: true, recorded_on: '2026-01-05', name: 'A Parent', relationship: 'mother' }
    }
  })
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number((/VmRSS:\s+(\d+)/.exec(status) ?? ['', '0'])[1])
  return Math.round(kb / 1024)
}

const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a'
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
  const api = await startServer('api', 'src/main.ts', ['api'], common, '/health/ready')
  const bare = await startServer(
    'bare',
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
  const received = new Map<string, number[]>()
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      let head = ''
      stream.on('data', (c: Buffer) => {
        if (head.length < 4096) head += c.toString('utf8')
      })
      stream.on('end', () => {
        const at = Date.now()
        const ref = (/^Subject: Referral (\S+) received/m.exec(head) ?? [])[1]
        if (ref !== undefined) received.set(ref, [...(received.get(ref) ?? []), at])
        callback()
      })
    }
  })
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve))
  const smtpPort = (smtp.server.address() as net.AddressInfo).port
  const service = await startServer(
    'all',
    'src/main.ts',
    ['all'],
    { ...common, SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, QUEUE_PREFIX: `${queuePrefix}:intake` },
    '/health/ready'
  )
  try {
    const referrer = { authorization: `Bearer ${token(intake.orgId, 'referrer', 'bench-referrer')}` }
    const res = await load({
      url: service.url,
      connections: S.postConnections,
      duration: S.postSeconds,
      headers: referrer,
      post: { path: '/v1/referrals', body: referralBody(intake.programmeId) }
    })
    const acks = res.acks ?? []
    // Every stored referral must get exactly one email, including those whose 201 was in flight when the run stopped.
    const storedRefs = async (): Promise<string[]> =>
      await withClient(dbUrl, async (c) =>
        (
          await c.query<{ reference: string }>('select reference from referrals where organisation_id = $1', [
            intake.orgId
          ])
        ).rows.map((r) => r.reference)
      )
    // Requests accepted before the load stopped may still commit: read the stored references again each pass.
    let refs = await storedRefs()
    let last = -1
    let still = Date.now()
    while (true) {
      refs = await storedRefs()
      const got = refs.filter((ref) => received.has(ref)).length
      if (got === refs.length) break
      if (got !== last) {
        last = got
        still = Date.now()
      }
      if (Date.now() - still > 20_000) break
      await sleep(100)
    }
    await sleep(QUICK ? 500 : 2000) // a late duplicate would arrive now
    refs = await storedRefs()
    const latencies: number[] = []
    for (const [ref, at] of acks) {
      const mails = received.get(ref)
      if (mails !== undefined) latencies.push(mails[0] - at)
    }
    const lost = refs.filter((ref) => !received.has(ref)).length
    const doubled = [...received.values()].filter((m) => m.length > 1).length
    const stray = [...received.keys()].filter((ref) => !refs.includes(ref)).length
    const p50 = percentile(latencies, 50)
    const p99 = percentile(latencies, 99)
    const rate = acks.length / S.postSeconds
    rows.push(
      `| (c) POST /v1/referrals, ${S.postConnections} clients, ${S.postSeconds} s | ${fmt(rate)} referrals/s sustained (${fmt(acks.length)} answered 201, ${fmt(res.bad + res.errors)} other, ${fmt(refs.length - acks.length)} in flight at the stop; request p50 ${fmt(res.p50)} ms, p99 ${fmt(res.p99)} ms) | | | no errors | ${verdict(res.bad + res.errors === 0)} |`
    )
    rows.push(
      `| (c) 201 to SMTP receipt (${fmt(latencies.length)} matched) | p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms | | | p99 < 2,000 ms | ${verdict(p99 < 2000)} |`
    )
    rows.push(
      `| (c) lost / doubled acknowledgements | ${lost} lost, ${doubled} doubled of ${fmt(refs.length)} referrals stored${stray > 0 ? `, ${stray} unexpected` : ''} | | | 0 and 0 | ${verdict(lost === 0 && doubled === 0 && stray === 0)} |`
    )
  } finally {
    await stop(service)
    // The service keeps pooled SMTP connections open; smtp-server's close waits for them and may never
    // call back once they are gone, which would leave nothing to keep this process alive.
    await Promise.race([
      new Promise<void>((resolve) =>
        smtp.close(() => {
          resolve()
        })
      ),
      sleep(3000)
    ])
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
      const output: string[] = []
      const t0 = Date.now()
      const child = spawn(process.execPath, s.args, {
        cwd: ROOT,
        env: {
          ...process.env,
          ...common,
          LOG_LEVEL: 'info',
          PORT: String(port),
          HOST: '127.0.0.1',
          QUEUE_PREFIX: `${queuePrefix}:start`
        },
        stdio: ['ignore', 'pipe', 'pipe']
      })
      children.add(child)
      child.on('exit', () => children.delete(child))
      child.stdout?.on('data', (c: Buffer) => output.push(c.toString('utf8')))
      child.stderr?.on('data', (c: Buffer) => output.push(c.toString('utf8')))
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
        rss.push(rssMb(child.pid as number))
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
    `- Baseline: bare Fastify + pg (\`bench/baseline-server.ts\`): \`select * from referrals where id = $1 and organisation_id = $2\`, and the same keyset page, no auth, no response schema.`,
    `- Total bench time ${fmt((Date.now() - began) / 1000)} s on ${(await import('node:os')).cpus().length} cores.`
  ]
  process.stdout.write(`${out.join('\n')}\n`)
}

const cleanup = (): void => {
  for (const c of children) c.kill('SIGKILL')
}
process.on('SIGINT', () => {
  cleanup()
  process.exit(130)
})
main().then(
  () => {
    process.exit(0)
  },
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`)
    cleanup()
    process.exit(1)
  }
)
