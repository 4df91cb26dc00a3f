import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Committed migrations are frozen: a database that ran one never runs it again, so a change to its file
 * reaches only new databases and leaves the others different. `migrations/checksums.json` keeps the
 * sha256 of every migration file (as `sha256sum` prints it) and a test compares. Run as a script, this
 * adds the entries of new migrations; it never changes an entry already there.
 */

export const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'migrations')
const CHECKSUMS = 'checksums.json'

/** The migration files (`NNNN_<verb>_<table>.ts`), in the order they apply. */
export function migrationFiles(dir = MIGRATIONS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_.+\.ts$/.test(f))
    .sort()
}

/** The sha256 of a migration file, with the line endings it is committed with (LF) whatever the checkout does. */
export function checksumOf(file: string, dir = MIGRATIONS_DIR): string {
  const text = readFileSync(join(dir, file), 'utf8').replace(/\r\n/g, '\n')
  return createHash('sha256').update(text).digest('hex')
}

/** The checksums committed beside the migrations (none when the file is missing). */
export function readChecksums(dir = MIGRATIONS_DIR): Record<string, string> {
  try {
    return JSON.parse(readFileSync(join(dir, CHECKSUMS), 'utf8')) as Record<string, string>
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return {}
    throw err
  }
}

/** What breaks the freeze, one sentence each: a migration changed, without a checksum, or gone. */
export function frozenProblems(dir = MIGRATIONS_DIR): string[] {
  const recorded = readChecksums(dir)
  const files = migrationFiles(dir)
  const problems: string[] = []
  for (const file of files) {
    if (recorded[file] === undefined) {
      problems.push(
        `${file} has no checksum: run \`npm run migrations:checksum\` and commit migrations/${CHECKSUMS} with the migration`
      )
    } else if (recorded[file] !== checksumOf(file, dir)) {
      problems.push(
        `${file} changed after it was committed: databases that ran it will not run it again, so leave it as it was and put the change in a new migration`
      )
    }
  }
  for (const file of Object.keys(recorded)) {
    if (!files.includes(file))
      problems.push(`${file} has a checksum but no file: a committed migration is never removed or renamed`)
  }
  return problems
}

/** Adds an entry for every migration file without one, leaving the others as they are; returns the files added. */
export function addMissingChecksums(dir = MIGRATIONS_DIR): string[] {
  const recorded = readChecksums(dir)
  const added = migrationFiles(dir).filter((f) => recorded[f] === undefined)
  if (added.length === 0) return []
  const next = { ...recorded }
  for (const f of added) next[f] = checksumOf(f, dir)
  writeFileSync(join(dir, CHECKSUMS), `${JSON.stringify(next, null, 2)}\n`)
  return added
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const added = addMissingChecksums()
  process.stdout.write(
    added.length === 0
      ? 'every migration has its checksum\n'
      : added.map((f) => `added the checksum of ${f}\n`).join('')
  )
  const problems = frozenProblems()
  for (const p of problems) process.stderr.write(`${p}\n`)
  if (problems.length > 0) process.exitCode = 1
}
