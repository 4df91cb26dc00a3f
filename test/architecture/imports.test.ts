import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : []
  })
}

/** Every import and re-export of a file, type-only ones included: a cycle of types is still a cycle to a reader. */
function importsOf(file: string): { local: string[]; packages: string[] } {
  const text = readFileSync(file, 'utf8')
  const specs = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)
  ].map((m) => m[1] ?? m[2])
  const local = specs
    .filter((s) => s.startsWith('.'))
    .map((s) => path.resolve(path.dirname(file), s.replace(/\.js$/, '.ts')))
  return { local, packages: specs.filter((s) => !s.startsWith('.')) }
}

const files = sourceFiles(SRC)
const graph = new Map(files.map((f) => [f, importsOf(f)]))
const rel = (f: string): string => path.relative(SRC, f)

/** The import cycles of the graph, each as the path that closes it (depth-first search, each cycle reported once). */
function cycles(): string[][] {
  const found: string[][] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (f: string): void => {
    state.set(f, 'open')
    stack.push(f)
    for (const next of graph.get(f)?.local ?? []) {
      if (!graph.has(next)) continue
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next].map(rel))
      else if (state.get(next) === undefined) visit(next)
    }
    stack.pop()
    state.set(f, 'done')
  }
  for (const f of files) if (state.get(f) === undefined) visit(f)
  return found
}

t.test('every relative import resolves to a source file', async (t) => {
  const missing = [...graph].flatMap(([f, i]) =>
    i.local.filter((l) => l.startsWith(SRC) && !graph.has(l)).map((l) => `${rel(f)} -> ${rel(l)}`)
  )
  t.same(missing, [])
})

t.test('no import cycle anywhere in src/', async (t) => {
  const found = cycles()
  t.same(
    found.map((c) => c.join(' -> ')),
    [],
    'import cycles'
  )
})

t.test('the checker finds a cycle when there is one', async (t) => {
  const a = path.join(SRC, '__a.ts')
  const b = path.join(SRC, '__b.ts')
  graph.set(a, { local: [b], packages: [] })
  graph.set(b, { local: [a], packages: [] })
  files.push(a, b)
  t.same(
    cycles().map((c) => c.join(' -> ')),
    ['__a.ts -> __b.ts -> __a.ts']
  )
  graph.delete(a)
  graph.delete(b)
  files.splice(files.length - 2, 2)
})

t.test('only the background-work layer talks to the queues', async (t) => {
  // Domain code and routes hand committed outbox rows to the dispatch; they never import BullMQ or ioredis.
  const allowed = (f: string): boolean =>
    rel(f).startsWith(`jobs${path.sep}`) ||
    ['worker.ts', path.join('plugins', 'external', 'queues.ts')].includes(rel(f))
  const offenders = [...graph]
    .filter(([f, i]) => !allowed(f) && i.packages.some((p) => p === 'bullmq' || p === 'ioredis'))
    .map(([f]) => rel(f))
  t.same(offenders, [])
})

t.test('every message text lives in the catalogue', async (t) => {
  // A message opens with a greeting; outside notifications/templates no source file writes one.
  const catalogue = path.join('notifications', 'templates')
  const offenders = files
    .filter((f) => !rel(f).startsWith(catalogue) && /['`]Hello,/.test(readFileSync(f, 'utf8')))
    .map(rel)
  t.same(offenders, [])
})

t.test('queries live in repositories', async (t) => {
  // Services keep the rules and routes the HTTP; the SQL they need is a repository function.
  const query = /\.(selectFrom|insertInto|updateTable|deleteFrom|mergeInto)\(|\bsql(<[^>\n]*>)?`/
  // Every source file but the repositories and db/ (the connection, migrations and prepared statements).
  const checked = (f: string): boolean => !f.endsWith('.repository.ts') && !rel(f).startsWith(`db${path.sep}`)
  const offenders = files.filter((f) => checked(f) && query.test(readFileSync(f, 'utf8'))).map(rel)
  t.same(offenders, [])
})
