/**
 * `npm start` (and `start:api`, `start:worker`): runs src/main.ts. Under tsx, Node compiles some
 * 1,500 TypeScript and package files one by one at every start, which is most of the start-up time.
 * So the first start of a given source tree runs under tsx as before and, in the background at the
 * lowest priority, bundles the sources into one module (as `npm run build` does) kept in
 * node_modules/.cache/waymark under a hash of every source, migration and installed package; later
 * starts of the same tree load that one file. Any change to a source file or package means another
 * hash, so a stale bundle is never run. Plain JavaScript, so that choosing costs no compiler.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import module from 'node:module'
import { setPriority } from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const cache = path.join(root, 'node_modules', '.cache', 'waymark')

/** A hash of everything the bundle is made of. */
function sourceHash() {
  const hash = createHash('sha256')
  const add = (file) => {
    hash.update(path.relative(root, file))
    hash.update('\0')
    hash.update(readFileSync(file))
    hash.update('\0')
  }
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const at = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(at)
      else if (entry.isFile()) add(at)
    }
  }
  walk(path.join(root, 'src'))
  walk(path.join(root, 'migrations'))
  // npm rewrites node_modules/.package-lock.json whenever it installs, updates or removes a package.
  for (const file of [
    'package.json',
    'package-lock.json',
    'node_modules/.package-lock.json',
    'scripts/build.ts',
    'scripts/start.mjs',
    'scripts/start-bundle.mjs'
  ]) {
    if (existsSync(path.join(root, file))) add(path.join(root, file))
  }
  hash.update(process.version)
  return hash.digest('hex').slice(0, 20)
}

/** Bundles in a detached process of the lowest priority (scripts/start-bundle.mjs). */
function bundleInBackground(bundle) {
  try {
    const child = spawn(process.execPath, [path.join(root, 'scripts', 'start-bundle.mjs'), bundle], {
      cwd: root,
      detached: true,
      stdio: 'ignore'
    })
    child.on('error', () => {})
    try {
      setPriority(child.pid, 19)
    } catch {
      /* not allowed: it runs at normal priority */
    }
    child.unref()
  } catch {
    /* no bundle this time: the next start tries again */
  }
}

let entry = null
try {
  const bundle = path.join(cache, `waymark-${sourceHash()}.mjs`)
  if (existsSync(bundle)) {
    entry = bundle
  } else if (existsSync(path.join(root, 'node_modules', 'esbuild'))) {
    mkdirSync(cache, { recursive: true })
    // Once the service has had the machine to itself for its own start.
    setTimeout(() => {
      bundleInBackground(bundle)
    }, 3000).unref()
  }
} catch {
  /* a read-only tree: run the sources */
}

// Node 22.1+ keeps the code it compiled, for the next start.
try {
  module.enableCompileCache?.(path.join(cache, 'v8'))
} catch {
  /* not available */
}

if (entry !== null) {
  await import(pathToFileURL(entry).href)
} else {
  await import('tsx')
  await import(pathToFileURL(path.join(root, 'src', 'main.ts')).href)
}
