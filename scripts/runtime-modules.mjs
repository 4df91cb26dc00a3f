/**
 * The packages the production bundle (dist/waymark.mjs) still loads from node_modules at run time,
 * and, run as a script, a copy of exactly those with their own dependencies:
 *
 *   node scripts/runtime-modules.mjs <from node_modules> <to node_modules>
 *
 * Everything else is inside the bundle, so the image carries these few packages, not the whole tree.
 * Plain JavaScript with no dependency: the image's build stage runs it before anything is compiled.
 */
import { cpSync, existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * @fastify/swagger-ui serves its own files from its package folder; @bull-board/ui holds the queue
 * dashboard's page and assets (found with require.resolve at run time); pg-native is an optional
 * driver pg loads only when asked, never installed here.
 */
export const EXTERNAL = ['@fastify/swagger-ui', '@bull-board/ui', 'pg-native']

/** The folders of the packages and every dependency they resolve, as Node would find them from `root`. */
export function closure(root, names) {
  const found = new Set()
  const visit = (name, from) => {
    // Node looks in the nearest node_modules first, then in each parent folder's.
    for (let dir = from; dir.length >= root.length; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'node_modules', name)
      if (!existsSync(path.join(candidate, 'package.json'))) continue
      if (found.has(candidate)) return
      found.add(candidate)
      const pkg = JSON.parse(readFileSync(path.join(candidate, 'package.json'), 'utf8'))
      for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) visit(dep, candidate)
      return
    }
  }
  for (const name of names) visit(name, root)
  return [...found].sort()
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [from, to] = process.argv.slice(2)
  if (from === undefined || to === undefined) {
    process.stderr.write('usage: node scripts/runtime-modules.mjs <from node_modules> <to node_modules>\n')
    process.exit(2)
  }
  const root = path.dirname(path.resolve(from))
  const dirs = closure(root, EXTERNAL)
  for (const dir of dirs) {
    const target = path.join(path.resolve(to), path.relative(path.resolve(from), dir))
    // A nested node_modules of a kept package is copied with it only when its packages are kept too.
    cpSync(dir, target, {
      recursive: true,
      filter: (src) => !src.slice(dir.length).includes(`${path.sep}node_modules${path.sep}`)
    })
  }
  process.stdout.write(`${dirs.length} packages copied to ${to}\n`)
}
