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

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const sleep = async (ms: number): Promise<void> => {
  await new Promise((resolve) => setTimeout(resolve, ms))
}
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
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
process.on('SIGINT', () => {
  for (const c of children) c.kill('SIGKILL')
  process.exit(130)
})

/** A TypeScript entry point in its own Node process (tsx as a loader, so the pid is the server's). */
export function node(file: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, file), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  children.add(child)
  child.on('exit', () => children.delete(child))
  return child
}

export interface Server {
  url: string
  child: ChildProcess
  output: string[]
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
  const output: string[] = []
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString('utf8')))
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString('utf8')))
  const url = `http://127.0.0.1:${port}`
  const started = Date.now()
  while (Date.now() - started < ms) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}): ${output.join('').slice(-2000)}`)
    try {
      if ((await fetch(`${url}${readyPath}`)).status === 200) return { url, child, output }
    } catch {
      /* not listening yet */
    }
    await sleep(20)
  }
  throw new Error(`server not ready after ${ms} ms: ${output.join('').slice(-2000)}`)
}

export async function stop(s: Server): Promise<void> {
  if (s.child.exitCode !== null) return
  const exited = new Promise((resolve) => s.child.once('exit', resolve))
  s.child.kill('SIGTERM')
  await Promise.race([exited, sleep(12_000)])
  if (s.child.exitCode === null) s.child.kill('SIGKILL')
}

export interface LoadResult {
  rps: number
  total: number
  p50: number
  p99: number
  non2xx: number
  errors: number
}

/** One autocannon run in its own process: GETs of paths picked at random. */
export async function load(job: {
  url: string
  connections: number
  duration: number
  headers: Record<string, string>
  paths: string[]
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
  return JSON.parse(out.trim().split('\n').pop() as string) as LoadResult
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

/** Interleaved rounds: every target once per round (the order alternating), medians over the rounds. */
export async function compare(
  what: string,
  targets: Target[],
  s: Rounds,
  log: (m: string) => void
): Promise<Measured[]> {
  for (const t of targets)
    await load({ url: t.url, connections: s.connections, duration: s.warmup, headers: t.headers, paths: t.paths })
  const rounds: Array<Array<LoadResult & { cpu: number }>> = targets.map(() => [])
  for (let r = 0; r < s.rounds; r++) {
    const order = r % 2 === 0 ? targets.map((_, i) => i) : targets.map((_, i) => i).reverse()
    for (const i of order) {
      const t = targets[i]
      const c0 = cpuUs(t.pid)
      const res = await load({
        url: t.url,
        connections: s.connections,
        duration: s.seconds,
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
    total: rs.reduce((n, x) => n + x.total, 0),
    cpuUs: median(rs.map((x) => x.cpu))
  }))
}
