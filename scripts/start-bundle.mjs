/**
 * Makes the bundle scripts/start.mjs runs on later starts: `node scripts/start-bundle.mjs <bundle>`.
 * Builds beside it under a name of its own and renames it into place only when whole, so a start
 * never loads half a bundle; then removes the bundles of earlier source trees.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, renameSync, rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bundle = process.argv[2]
const dir = path.dirname(bundle)
const partial = `${bundle}.${process.pid}.partial.mjs`
try {
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts', '--outfile', path.relative(root, partial)], {
    cwd: root,
    stdio: 'ignore'
  })
  renameSync(`${partial}.map`, `${bundle}.map`)
  renameSync(partial, bundle)
  const keep = path.basename(bundle)
  for (const f of readdirSync(dir)) {
    if (f.startsWith('waymark-') && !f.startsWith(keep) && !f.includes('.partial.'))
      rmSync(path.join(dir, f), { force: true })
  }
} catch {
  for (const f of [partial, `${partial}.map`]) rmSync(f, { force: true })
}
