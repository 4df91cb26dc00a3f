/**
 * What a benchmark that loads servers needs: free ports, servers in their own Node processes,
 * autocannon in its own process (bench/load.ts), interleaved rounds with medians.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Job } from './load.js'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const sleep = async (ms: number): Promise<void> => {
  await new Promise((resolve) => setTimeout(resolve, ms))
}
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}
export const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}
export const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a'

export async function freePort(): Promise<number> {
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

const children = new Set<ChildProcess>()
/** Kills every process this bench started that is still running. */
export function killAll(): void {
  for (const c of children) c.kill('SIGKILL')
}
const interrupted: Array<() => Promise<void>> = []
/** Runs `fn` on Ctrl-C, after the bench's processes are killed and before it exits (10 s at most). */
export function onInterrupt(fn: () => Promise<void>): void {
  interrupted.push(fn)
}
process.on('SIGINT', () => {
  killAll()
  void Promise.race([Promise.allSettled(interrupted.map(async (fn) => await fn())), sleep(10_000)]).finally(() =>
    process.exit(130)
  )
})

/** Node with these arguments in its own process, killed by killAll. */
export function spawnNode(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  children.add(child)
  child.on('exit', () => children.delete(child))
  return child
}

/** A TypeScript entry point in its own Node process (tsx as a loader, so the pid is the server's). */
export function node(file: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawnNode(['--import', 'tsx', path.join(ROOT, file), ...args], env)
}

export interface Server {
  url: string
  child: ChildProcess
  output: string[]
}

/** Polls `url` until it answers 200; returns the time it did. Throws if the child exits first. */
export async function waitReady(url: string, child: ChildProcess, output: string[], ms = 120_000): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < ms) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}): ${output.join('').slice(-2000)}`)
    try {
      if ((await fetch(url)).status === 200) return Date.now()
    } catch {
      /* not listening yet */
    }
    await sleep(10)
  }
  throw new Error(`server not ready after ${ms} ms: ${output.join('').slice(-2000)}`)
}

/** Collects a child's stdout and stderr. */
export function capture(child: ChildProcess): string[] {
  const output: string[] = []
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString('utf8')))
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString('utf8')))
  return output
}

export async function startServer(
  file: string,
  args: string[],
  env: Record<string, string>,
  readyPath: string,
  ms = 120_000
): Promise<Server> {
  const port = await freePort()
  const child = node(file, args, { ...env, PORT: String(port), HOST: '127.0.0.1' })
  const output = capture(child)
  const url = `http://127.0.0.1:${port}`
  await waitReady(`${url}${readyPath}`, child, output, ms)
  return { url, child, output }
}

/** SIGTERM, then SIGKILL after 12 s. */
export async function stop(s: Server | ChildProcess): Promise<void> {
  const child = 'child' in s ? s.child : s
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await Promise.race([exited, sleep(12_000)])
  if (child.exitCode === null) child.kill('SIGKILL')
}

export interface LoadResult {
  rps: number
  total: number
  p50: number
  p99: number
  non2xx: number
  errors: number
  /** POST: answers other than 201. */
  bad: number
  /** POST: how many answers of each status other than 201. */
  badStatuses?: Record<string, number>
  /** POST: the first body of each of those statuses. */
  badBodies?: Record<string, string>
  /** POST: each 201's reference and the time it arrived. */
  acks?: Array<[string, number]>
}

/**
 * One autocannon run in its own process (bench/load.ts): GETs of paths picked at random, or one POST
 * body sent again and again. With `log`, a run with failed requests is warned of.
 */
export async function load(job: Job, log?: (m: string) => void): Promise<LoadResult> {
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
  if (log !== undefined && (r.non2xx > 0 || r.errors > 0))
    log(`warning: ${job.url}${job.paths?.[0] ?? job.post?.path}: ${r.non2xx} non-2xx, ${r.errors} errors`)
  return r
}

/** User + system CPU of a process so far, in microseconds. */
export function cpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10_000
}

export interface Target {
  label: string
  url: string
  headers: Record<string, string>
  paths: string[]
  pid: number
}
export interface Measured {
  rps: number
  p50: number
  p99: number
  failed: number
  total: number
  cpuUs: number
}
export interface Rounds {
  rounds: number
  seconds: number
  warmup: number
  connections: number
}

/** Interleaved rounds: every target once per round (the order alternating so neither side always runs first), medians over the rounds. */
export async function compare(
  what: string,
  targets: Target[],
  s: Rounds,
  log: (m: string) => void
): Promise<Measured[]> {
  for (const t of targets)
    await load({ url: t.url, connections: s.connections, duration: s.warmup, headers: t.headers, paths: t.paths }, log)
  const rounds: Array<Array<LoadResult & { cpu: number }>> = targets.map(() => [])
  for (let r = 0; r < s.rounds; r++) {
    const order = r % 2 === 0 ? targets.map((_, i) => i) : targets.map((_, i) => i).reverse()
    for (const i of order) {
      const t = targets[i]
      const c0 = cpuUs(t.pid)
      const res = await load(
        {
          url: t.url,
          connections: s.connections,
          duration: s.seconds,
          headers: t.headers,
          paths: t.paths
        },
        log
      )
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
    total: rs.reduce((n, x) => n + x.total, 0),
    cpuUs: median(rs.map((x) => x.cpu))
  }))
}

/** Resident memory of a process in KB (0 once it is gone). */
export function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
  } catch {
    return 0
  }
}
