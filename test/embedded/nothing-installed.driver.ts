/**
 * Run by nothing-installed.test.ts inside a network namespace of its own (`unshare -n`), where
 * nothing listens: no PostgreSQL, no Redis. It plays a newcomer's session with `npm start` and the
 * scripts, and writes one JSON line of findings per step to stdout for the test to judge.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { referralBody } from '../support/bodies.js'
import { ROOT } from '../support/processes.js'
import { startMailListener } from '../support/mail.js'
import { postgresOf } from './support.js'

const dataDir = process.argv[2]
const teardowns: Array<() => unknown> = []
const tap = {
  teardown: (fn: () => unknown) => {
    teardowns.push(fn)
  }
}
const report = (step: string, facts: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ step, ...facts })}\n`)
}
const sleep = async (ms: number): Promise<void> => {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

const env: Record<string, string> = {}
for (const [k, v] of Object.entries(process.env)) {
  if (
    v !== undefined &&
    !['DATABASE_URL', 'REDIS_URL', 'NODE_ENV', 'EMBEDDED', 'JWT_SECRET', 'PORT'].includes(k) &&
    !k.startsWith('npm_')
  )
    env[k] = v
}
const smtp = await startMailListener(tap)
Object.assign(env, {
  WAYMARK_DATA_DIR: dataDir,
  SMTP_URL: smtp.url,
  LOG_LEVEL: 'info',
  OUTBOX_POLL_MS: '200',
  PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0'
})
const base = 'http://127.0.0.1:3000'

interface Service {
  proc: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

function npm(args: string[], extra: Record<string, string> = {}): Service {
  // A process group of its own, so that a SIGKILL can take the whole of it, as a crash would.
  const proc = spawn('npm', args, {
    cwd: ROOT,
    env: { ...env, ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true
  })
  let out = ''
  proc.stdout?.on('data', (c: Buffer) => {
    out += c.toString('utf8')
  })
  proc.stderr?.on('data', (c: Buffer) => {
    out += c.toString('utf8')
  })
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => {
      resolve(code)
    })
  })
  teardowns.push(() => {
    if (proc.exitCode === null) {
      try {
        process.kill(-(proc.pid as number), 'SIGKILL')
      } catch {
        /* gone */
      }
    }
  })
  return { proc, output: () => out, exited }
}

async function script(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return await new Promise((resolve) => {
    const proc = spawn('npm', ['run', '-s', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    proc.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8')
    })
    proc.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8')
    })
    proc.once('exit', (code) => {
      resolve({ code, stdout, stderr })
    })
  })
}

async function ready(timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    const res = await fetch(`${base}/health/ready`).catch(() => null)
    if (res?.status === 200) return true
    await sleep(20)
  }
  return false
}

async function start(step: string): Promise<Service> {
  const started = Date.now()
  const service = npm(['start'])
  const ok = await ready(60_000)
  const body = ok ? await (await fetch(`${base}/health/ready`)).json() : null
  const chosen = service
    .output()
    .split('\n')
    .find((l) => l.includes('"database":'))
  report(step, {
    ready: ok,
    ms: Date.now() - started,
    health: body,
    chosen: chosen === undefined ? null : JSON.parse(chosen),
    postmasters: postgresOf(dataDir).length,
    output: ok ? undefined : service.output().slice(-3000)
  })
  return service
}

async function stop(step: string, service: Service): Promise<void> {
  process.kill(service.proc.pid as number, 'SIGTERM')
  const code = await service.exited
  await sleep(100)
  report(step, {
    code,
    clean: service.output().includes('shut down cleanly'),
    postmasters: postgresOf(dataDir).length,
    output: code === 0 ? undefined : service.output().slice(-3000)
  })
}

const call = async (
  method: string,
  path: string,
  token: string,
  body?: unknown
): Promise<{ status: number; json: any }> => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {})
    },
    body: body !== undefined ? JSON.stringify(body) : undefined
  })
  return { status: res.status, json: await res.json() }
}
const token = async (...args: string[]): Promise<string> => {
  const r = await script(['token', '--', ...args])
  if (r.code !== 0) throw new Error(`token ${args.join(' ')}: ${r.code} ${r.stderr}`)
  return r.stdout.trim()
}

try {
  // First start: a new cluster, queues on PostgreSQL.
  let service = await start('first start')

  const platform = await token('--role', 'platform_admin')
  const code = `N${randomUUID()
    .slice(0, 2)
    .toUpperCase()
    .replace(/[^A-Z]/g, 'X')}X`
  const org = await call('POST', '/v1/organisations', platform, { name: 'Nothing Installed', code })
  // The token script finds the running embedded server and the organisation in it, by its code.
  const admin = await token('--role', 'admin', '--org', code)
  const programme = await call('POST', '/v1/programmes', admin, {
    name: 'Everything Local',
    kind: 'mentoring',
    rules: {}
  })
  const referrer = await token('--role', 'referrer', '--org', code)
  const created = await call('POST', '/v1/referrals', referrer, referralBody(programme.json.id))
  await smtp.waitFor(1, 20_000)
  let acknowledged = false
  for (let i = 0; i < 200 && !acknowledged; i++) {
    acknowledged =
      (await call('GET', `/v1/referrals/${created.json.id as string}`, referrer)).json.status === 'acknowledged'
    if (!acknowledged) await sleep(50)
  }
  const unknownOrg = await script(['token', '--', '--role', 'admin', '--org', 'NOPE'])
  report('referral', {
    org: org.status,
    programme: programme.status,
    created: created.status,
    reference: created.json.reference,
    mails: smtp.messages.length,
    subject: smtp.messages[0]?.subject ?? null,
    acknowledged,
    unknown_org: { code: unknownOrg.code, stderr: unknownOrg.stderr }
  })

  // A second instance on the same data dir joins; stopping it leaves the first's server running.
  const worker = npm(['run', 'start:worker'])
  let joined = ''
  for (let i = 0; i < 1200 && joined === ''; i++) {
    joined =
      worker
        .output()
        .split('\n')
        .find((l) => l.includes('"database":')) ?? ''
    if (joined === '') await sleep(50)
  }
  for (let i = 0; i < 1200 && !worker.output().includes('waymark ready'); i++) await sleep(50)
  await stop('second instance stopped', worker)
  report('second instance', { chosen: joined === '' ? null : JSON.parse(joined), first_still_ready: await ready(3000) })

  await stop('stop', service)

  // A later start keeps the data.
  service = await start('later start')
  const kept = await call('GET', `/v1/referrals/${created.json.id as string}`, referrer)
  report('kept', { status: kept.status, reference: kept.json.reference })

  // Killed outright: the embedded server is left running, and the next start takes it over.
  process.kill(-(service.proc.pid as number), 'SIGKILL')
  await service.exited
  await sleep(200)
  report('killed', { postmasters: postgresOf(dataDir).length })
  service = await start('start after kill')
  const after = await call('GET', `/v1/referrals/${created.json.id as string}`, referrer)
  report('kept after kill', { status: after.status })

  const migrate = await script(['migrate'])
  report('migrate', { code: migrate.code, stdout: migrate.stdout, stderr: migrate.stderr })

  await stop('final stop', service)
} catch (err) {
  report('error', { message: (err as Error).stack ?? String(err) })
} finally {
  for (const fn of teardowns.reverse()) await fn()
  process.exit(0)
}
