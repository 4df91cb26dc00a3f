import { readdirSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { migrations } from '../../migrations/index.js'
import { ensureDatabase, migrateToLatest } from '../../src/db/migrate.js'
import { ROOT } from '../support/processes.js'
import { openDatabase, testDatabaseUrl } from '../support/set-up.js'

t.test('the migrations index names every migration file, in order', async (t) => {
  const files = readdirSync(path.join(ROOT, 'migrations'))
    .filter((f) => /^\d{4}_.+\.ts$/.test(f))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort()
  t.ok(files.length >= 14)
  t.same(Object.keys(migrations), files, 'a migration file missing from migrations/index.ts would never run')
  for (const [name, m] of Object.entries(migrations)) t.type(m.up, 'function', `${name} has up`)
})

t.test('a migration numbered below one a database already ran is applied, not refused', async (t) => {
  const url = testDatabaseUrl(t)
  await ensureDatabase(url)
  const db = openDatabase(t, url)
  // The migrations up to 0082, as a release had them; `late` (a column added alone, which no other
  // migration touches) arrived after the database had run the rest.
  const upTo = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '0083'))
  const names = Object.keys(upTo)
  const late = '0081_alter_notifications_retried'
  t.ok(names.includes(late))
  const earlier = Object.fromEntries(Object.entries(upTo).filter(([name]) => name !== late))
  await migrateToLatest(db, earlier)
  const result = await migrateToLatest(db, upTo)
  t.same(
    (result.results ?? []).map((r) => [r.migrationName, r.status]),
    [[late, 'Success']]
  )
  const ran = (await db
    .selectFrom('kysely_migration' as any)
    .select('name')
    .execute()) as Array<{ name: string }>
  t.equal(ran.length, names.length, 'every migration has run once')
})
