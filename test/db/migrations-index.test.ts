import { readdirSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { migrations } from '../../migrations/index.js'
import { ROOT } from '../support/processes.js'

t.test('the migrations index names every migration file, in order', async (t) => {
  const files = readdirSync(path.join(ROOT, 'migrations'))
    .filter((f) => /^\d{4}_.+\.ts$/.test(f))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort()
  t.ok(files.length >= 14)
  t.same(Object.keys(migrations), files, 'a migration file missing from migrations/index.ts would never run')
  for (const [name, m] of Object.entries(migrations)) t.type(m.up, 'function', `${name} has up`)
})
