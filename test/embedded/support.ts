import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

interface Tap {
  teardown: (fn: () => unknown) => void
}

/** The pids of every PostgreSQL process (postmaster and children) of a data dir, from /proc. */
export function postgresOf(dataDir: string): number[] {
  const pgdata = path.join(dataDir, 'pg')
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let cmdline: string[]
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
    } catch {
      continue
    }
    const at = cmdline.indexOf('-D')
    if (at >= 0 && cmdline[at + 1] === pgdata) pids.push(Number(entry))
  }
  return pids
}

/** A data dir of the test's own; whatever server is left in it is killed, then the dir removed. */
export function tempDataDir(t: Tap, name = 'waymark-data'): string {
  const dir = mkdtempSync(path.join(tmpdir(), `${name}-`))
  t.teardown(() => {
    for (const pid of postgresOf(dir)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        /* gone */
      }
    }
    rmSync(dir, { recursive: true, force: true })
  })
  return dir
}
