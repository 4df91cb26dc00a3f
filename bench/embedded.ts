/**
 * `npm run bench:embedded`, with nothing installed, two tables:
 *
 * 1. Start-up: `npm start` with no DATABASE_URL/REDIS_URL where nothing answers at 127.0.0.1:5432 or
 *    :6379, timed from the spawn of `npm start` to the first /health/ready 200, for a first start
 *    (initdb) and later starts; then the idle RSS of the app and of the embedded server. As root it
 *    runs in a network namespace of its own (`unshare -n`), where nothing listens.
 * 2. For information, outside that namespace: `GET /v1/referrals/{id}` (and POST /v1/referrals to its
 *    acknowledgement) on (a) the real servers, PostgreSQL at 127.0.0.1:5432 and Redis at :6379, beside
 *    (b) an embedded PostgreSQL with the queues on BullMQ's PostgreSQL backend, in interleaved rounds.
 *    Skipped, saying so, where the real servers do not answer.
 *
 * BENCH_QUICK=1 is a short smoke run: one later start, short idle, one short round.
 */
import { spawn, spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { signHs256 } from '../src/auth/dev-token.js'
import { answers } from '../src/config/services.js'
import { acquireEmbeddedPostgres, type EmbeddedServer } from '../src/embedded/embedded-postgres.js'
import { createTenant, freshDatabase, insertReferrals, sampleIds, withClient, type Tenant } from './data.js'
import {
  compare,
  fmt,
  killAll,
  onInterrupt,
  ROOT,
  rssKb,
  sleep,
  startServer,
  stop,
  type LoadResult,
  type Measured,
  type Rounds,
  type Server
} from './harness.js'
import { measureIntake, startMailbox, type Intake, type Mailbox } from './intake.js'

const QUICK = process.env.BENCH_QUICK === '1'
const LATER = Number(process.env.BENCH_EMBEDDED_RUNS ?? (QUICK ? 1 : 3))
const IDLE_MS = QUICK ? 1000 : 5000
const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
const S: Rounds & { rows: number; postSeconds: number; postConnections: number } = {
  rounds: QUICK ? 1 : 3,
  seconds: QUICK ? 2 : 10,
  warmup: QUICK ? 1 : 3,
  connections: 32,
  rows: QUICK ? 2000 : 5000,
  postSeconds: QUICK ? 3 : 10,
  postConnections: 16
}
const INSIDE = process.env.WAYMARK_BENCH_INSIDE === '1'
const log = (msg: string): void => {
  process.stderr.write(`[bench:embedded] ${msg}\n`)
}
const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')

/** The postmaster of the data dir and its children. */
function serverPids(pgdata: string): number[] {
  const all = readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
  const master = all.find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(`-D ${pgdata} `)
    } catch {
      return false
    }
  })
  if (master === undefined) return []
  return [
    master,
    ...all.filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1] === String(master)
      } catch {
        return false
      }
    })
  ]
}

/** The environment of `npm start` with nothing set: none of the settings that would choose servers. */
function bareEnv(dataDir: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (
      v !== undefined &&
      !['DATABASE_URL', 'REDIS_URL', 'NODE_ENV', 'EMBEDDED', 'PORT'].includes(k) &&
      !k.startsWith('npm_')
    )
      env[k] = v
  }
  return { ...env, WAYMARK_DATA_DIR: dataDir, LOG_LEVEL: 'info', PORT: '3000' }
}

async function once(dataDir: string): Promise<{ ms: number; appKb: number; serverKb: number; chosen: string }> {
  const started = Date.now()
  const proc = spawn('npm', ['start'], { cwd: ROOT, env: bareEnv(dataDir), stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  proc.stdout.on('data', (c: Buffer) => {
    out += c.toString('utf8')
  })
  proc.stderr.on('data', (c: Buffer) => {
    out += c.toString('utf8')
  })
  const exited = new Promise((resolve) => proc.once('exit', resolve))
  let ms = -1
  while (Date.now() - started < 120_000) {
    const res = await fetch('http://127.0.0.1:3000/health/ready').catch(() => null)
    if (res?.status === 200) {
      ms = Date.now() - started
      break
    }
    await sleep(10)
  }
  if (ms < 0) {
    // The service stops the embedded server it started as it shuts down.
    proc.kill('SIGTERM')
    await Promise.race([exited, sleep(15_000)])
    throw new Error(`not ready within 120 s:\n${out.slice(-2000)}`)
  }
  await sleep(IDLE_MS) // idle
  const pgdata = path.join(dataDir, 'pg')
  const serverKb = serverPids(pgdata).reduce((sum, pid) => sum + rssKb(pid), 0)
  // The service's own pid (npm runs it through sh, which execs node), from its log.
  const appPid = Number(/"pid":(\d+)/.exec(out)?.[1] ?? proc.pid)
  const appKb = rssKb(appPid)
  const health = (await (await fetch('http://127.0.0.1:3000/health/ready')).json()) as { queue_backend: string }
  proc.kill('SIGTERM')
  await exited
  if (serverPids(pgdata).length > 0) throw new Error('the embedded server outlived the service')
  return { ms, appKb, serverKb, chosen: `embedded PostgreSQL, queues on ${health.queue_backend}` }
}

/** Table 1: first and later starts of `npm start` with nothing installed, and the idle RSS. */
async function startUp(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'waymark-bench-embedded-'))
  try {
    const first = await once(dataDir)
    const later: number[] = []
    let last = first
    for (let i = 0; i < LATER; i++) {
      last = await once(dataDir)
      later.push(last.ms)
    }
    later.sort((a, b) => a - b)
    process.stdout.write(
      [
        '',
        `start-up with nothing installed (${last.chosen}; Node ${process.version}; load average ${loadAverage()})${QUICK ? ' (BENCH_QUICK smoke run)' : ''}`,
        '| measure | value | bar |',
        '| --- | --- | --- |',
        `| first start (initdb), spawn of npm start to /health/ready 200 | ${first.ms} ms | < 10 s |`,
        `| later start, median of ${LATER} | ${later[Math.floor(later.length / 2)]} ms | < 3 s |`,
        `| idle RSS, app (API + workers) | ${Math.round(last.appKb / 1024)} MB | reported |`,
        `| idle RSS, embedded PostgreSQL (all its processes) | ${Math.round(last.serverKb / 1024)} MB | reported |`,
        ''
      ].join('\n')
    )
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

interface Side {
  label: string
  /** A superuser URL of the server's `postgres` database. */
  admin: string
  queues: 'redis' | 'postgres'
  dbUrl?: string
  version?: string
  read?: Tenant
  intake?: Tenant
  ids?: string[]
  mailbox?: Mailbox
  server?: Server
}

const DATABASE = 'waymark_bench_embedded'
const SECRET = `bench-secret-${randomUUID()}`
const token = (org: string, role: string): string =>
  signHs256(SECRET, { sub: `bench-${role}`, roles: [role], org }, 6 * 3600)
const ratio = (b: number, a: number): string => `${fmt(b / a, 2)}x`

/** The same database on either server: migrated, `S.rows` referrals to read, an organisation to POST to. */
async function seed(side: Side): Promise<void> {
  const t = Date.now()
  side.dbUrl = await freshDatabase(side.admin, DATABASE)
  await withClient(side.dbUrl, async (c) => {
    side.version = (await c.query<{ v: string }>("select current_setting('server_version') as v")).rows[0].v.split(
      ' '
    )[0]
    side.read = await createTenant(c, 'BNCHR')
    side.intake = await createTenant(c, 'BNCHI')
    await insertReferrals(c, side.read, S.rows)
    await c.query('vacuum analyze referrals')
    side.ids = await sampleIds(c, side.read.orgId, S.rows)
  })
  log(`${side.label}: migrated and ${S.rows} referrals seeded in ${Date.now() - t} ms`)
}

/** Deletes the keys of the bench's queues from Redis. */
async function dropQueues(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      if (keys.length > 0) await redis.del(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

/** `, **N failed** (2 × 503, 1 errors)` for a POST run with answers other than 201; nothing otherwise. */
function failures(res: LoadResult): string {
  if (res.bad + res.errors === 0) return ''
  const kinds = Object.entries(res.badStatuses ?? {}).map(([status, n]) => `${n} × ${status}`)
  if (res.errors > 0) kinds.push(`${res.errors} without an answer`)
  return `, **${fmt(res.bad + res.errors)} failed** (${kinds.join(', ')})`
}

/** Table 2, for information: the real servers beside the embedded PostgreSQL with queues on PostgreSQL. */
async function throughput(): Promise<void> {
  const [pgUp, redisUp] = await Promise.all([
    answers(Number(new URL(ADMIN_URL).port || 5432)),
    answers(Number(new URL(REDIS_URL).port || 6379))
  ])
  if (!pgUp || !redisUp) {
    process.stdout.write(
      `\nreferral GET on the embedded database beside the real servers: skipped, as ${!pgUp ? 'PostgreSQL' : 'Redis'} does not answer at ${!pgUp ? ADMIN_URL : REDIS_URL}\n`
    )
    return
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'waymark-bench-embedded-rate-'))
  const prefix = `wmbench-embedded:${randomUUID().slice(0, 8)}`
  let embedded: EmbeddedServer | null = null
  const sides: Side[] = [{ label: 'real servers', admin: ADMIN_URL, queues: 'redis' }]
  // Servers stopped, databases dropped, the bench's queues deleted, the embedded server stopped and its
  // data dir removed: once, at the end, on a failure or on Ctrl-C.
  let cleaning: Promise<void> | null = null
  const cleanUp = async (): Promise<void> => {
    cleaning ??= (async () => {
      for (const side of sides) {
        if (side.server !== undefined) await stop(side.server)
        await side.mailbox?.close()
      }
      for (const side of sides) {
        await withClient(
          side.admin,
          async (c) => await c.query(`drop database if exists "${DATABASE}" with (force)`)
        ).catch((err: unknown) => {
          log(`could not drop ${DATABASE} on ${side.label}: ${(err as Error).message}`)
        })
      }
      await dropQueues(prefix).catch((err: unknown) => {
        log(`could not delete the queues ${prefix}:* from Redis: ${(err as Error).message}`)
      })
      await embedded?.release()
      rmSync(dataDir, { recursive: true, force: true })
    })()
    await cleaning
  }
  onInterrupt(cleanUp)
  try {
    embedded = await acquireEmbeddedPostgres({ dataDir })
    sides.push({ label: 'embedded', admin: embedded.url('postgres'), queues: 'postgres' })
    for (const side of sides) await seed(side)
    for (const side of sides) {
      side.mailbox = await startMailbox()
      side.server = await startServer(
        'bench/app-server.ts',
        [],
        {
          NODE_ENV: 'production',
          DATABASE_URL: side.dbUrl as string,
          DATABASE_POOL_SIZE: '16',
          BENCH_QUEUE_BACKEND: side.queues,
          ...(side.queues === 'redis' ? { REDIS_URL } : {}),
          QUEUE_PREFIX: prefix,
          JWT_SECRET: SECRET,
          LOG_LEVEL: 'warn',
          RATE_LIMIT_MAX: '100000000',
          SMTP_URL: `smtp://127.0.0.1:${side.mailbox.port}`
        },
        '/health/ready'
      )
    }
    const [a, b] = sides as [Required<Side>, Required<Side>]
    const target = (side: Required<Side>): Parameters<typeof compare>[1][number] => ({
      label: side.label,
      url: side.server.url,
      headers: { authorization: `Bearer ${token(side.read.orgId, 'coordinator')}` },
      paths: side.ids.map((id) => `/v1/referrals/${id}`),
      pid: side.server.child.pid as number
    })
    const [getA, getB] = await compare('GET by id', [target(a), target(b)], S, log)
    const posts: Intake[] = []
    for (const side of [a, b]) {
      posts.push(
        await measureIntake({
          url: side.server.url,
          dbUrl: side.dbUrl,
          orgId: side.intake.orgId,
          programmeId: side.intake.programmeId,
          headers: { authorization: `Bearer ${token(side.intake.orgId, 'referrer')}` },
          connections: S.postConnections,
          seconds: S.postSeconds,
          mailbox: side.mailbox,
          settleMs: QUICK ? 500 : 2000,
          log
        })
      )
      const done = posts[posts.length - 1]
      log(`POST ${side.label}: ${done.answered} answered 201`)
      if (done.res.bad + done.res.errors > 0)
        log(
          `POST ${side.label}: other answers ${JSON.stringify(done.res.badStatuses)}, first bodies ${JSON.stringify(done.res.badBodies)}; the service said:\n${side.server.output.join('').slice(-3000)}`
        )
    }
    const [postA, postB] = posts
    const get = (m: Measured): string =>
      `${fmt(m.rps)} req/s, p50 ${fmt(m.p50)} ms, p99 ${fmt(m.p99)} ms, ${fmt(m.cpuUs)} µs app CPU/req${m.failed > 0 ? `, **${fmt(m.failed)} failed**` : ''}`
    const post = (p: Intake): string =>
      `p50 ${fmt(p.p50)} ms, p99 ${fmt(p.p99)} ms (${fmt(p.answered / S.postSeconds)} referrals/s; ${fmt(p.latencies.length)} matched, ${p.lost} lost, ${p.doubled} doubled${failures(p.res)})`
    process.stdout.write(
      [
        '',
        `for information: the referral GET on the embedded database and the PostgreSQL queue backend beside the real servers (median of ${S.rounds} interleaved round${S.rounds > 1 ? 's' : ''} of ${S.seconds} s after a ${S.warmup} s warm-up, ${S.connections} connections; load average ${loadAverage()})${QUICK ? ' (BENCH_QUICK smoke run)' : ''}`,
        `| measure | (a) PostgreSQL ${a.version} at ${new URL(ADMIN_URL).host} + Redis at ${new URL(REDIS_URL).host} | (b) embedded PostgreSQL ${b.version}, queues on PostgreSQL | (b)/(a) |`,
        '| --- | --- | --- | --- |',
        `| GET /v1/referrals/{id}, coordinator, ${fmt(S.rows)} referrals | ${get(getA)} | ${get(getB)} | ${ratio(getB.rps, getA.rps)} req/s, ${ratio(getB.p99, getA.p99)} p99 |`,
        `| POST /v1/referrals, ${S.postConnections} clients, ${S.postSeconds} s: 201 to acknowledgement at SMTP | ${post(postA)} | ${post(postB)} | ${ratio(postB.p50, postA.p50)} p50, ${ratio(postB.p99, postA.p99)} p99 |`,
        '',
        '- Both sides: the service in one process, API and workers (bench/app-server.ts), NODE_ENV=production, pg pool 16, LOG_LEVEL=warn, seeded alike (bench/data.ts); app CPU is the service process alone, not its database.',
        ''
      ].join('\n')
    )
  } finally {
    await cleanUp()
  }
}

try {
  if (INSIDE) {
    await startUp()
  } else {
    if (process.getuid?.() === 0) {
      // As root: the start-up part in a network namespace of its own, where nothing listens.
      const r = spawnSync(
        'unshare',
        ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" --import tsx bench/embedded.ts', process.execPath],
        { cwd: ROOT, stdio: 'inherit', env: { ...process.env, WAYMARK_BENCH_INSIDE: '1' } }
      )
      if (r.status !== 0) process.exit(r.status ?? 1)
    } else {
      await startUp()
    }
    await throughput()
  }
  process.exit(0)
} catch (err) {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`)
  killAll()
  process.exit(1)
}
