/**
 * Start-up with nothing installed: `npm start` with no DATABASE_URL/REDIS_URL where nothing answers at
 * 127.0.0.1:5432 or :6379, timed from the spawn of `npm start` to the first /health/ready 200, for a
 * first start (initdb) and later starts; then the idle RSS of the app and of the embedded server.
 * As root it runs itself in a network namespace of its own (`unshare -n`), where nothing listens.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const LATER = Number(process.env.BENCH_EMBEDDED_RUNS ?? 3)

if (process.env.WAYMARK_BENCH_INSIDE !== '1' && process.getuid?.() === 0) {
  const r = spawnSync(
    'unshare',
    ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" --import tsx bench/embedded.ts', process.execPath],
    {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, WAYMARK_BENCH_INSIDE: '1' }
    }
  )
  process.exit(r.status ?? 1)
}

const sleep = async (ms: number): Promise<void> => {
  await new Promise((resolve) => setTimeout(resolve, ms))
}
const rssKb = (pid: number): number => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
  } catch {
    return 0
  }
}
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

const dataDir = mkdtempSync(path.join(tmpdir(), 'waymark-bench-embedded-'))
const env: Record<string, string> = {}
for (const [k, v] of Object.entries(process.env)) {
  if (
    v !== undefined &&
    !['DATABASE_URL', 'REDIS_URL', 'NODE_ENV', 'EMBEDDED', 'PORT'].includes(k) &&
    !k.startsWith('npm_')
  )
    env[k] = v
}
Object.assign(env, { WAYMARK_DATA_DIR: dataDir, LOG_LEVEL: 'info', PORT: '3000' })

async function once(): Promise<{ ms: number; appKb: number; serverKb: number; chosen: string }> {
  const started = Date.now()
  const proc = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
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
  if (ms < 0) throw new Error(`not ready within 120 s:\n${out.slice(-2000)}`)
  await sleep(5000) // idle
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

try {
  const first = await once()
  const later: number[] = []
  let last = first
  for (let i = 0; i < LATER; i++) {
    last = await once()
    later.push(last.ms)
  }
  later.sort((a, b) => a - b)
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  process.stdout.write(
    [
      '',
      `start-up with nothing installed (${last.chosen}; Node ${process.version}; load average ${load})`,
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
