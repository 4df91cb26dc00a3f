import { sql, type Kysely } from 'kysely'
import { Migrator, NO_MIGRATIONS, type Migration } from 'kysely/migration'
import t, { type Test } from 'tap'
import { migrations } from '../../migrations/index.js'
import { ensureDatabase, migrateToLatest } from '../../src/db/migrate.js'
import { openDatabase, testDatabaseUrl } from '../support/set-up.js'

const INDEXES = ['mentor_programmes_programme_created_idx', 'mentors_org_updated_idx', 'postcode_locations_fetched_idx']

async function emptyDatabase(t: Test): Promise<Kysely<any>> {
  const url = testDatabaseUrl(t)
  await ensureDatabase(url)
  return openDatabase(t, url)
}

async function indexes(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{
    indexname: string
  }>`select indexname from pg_indexes where indexname in (${sql.join(INDEXES)}) order by indexname`.execute(db)
  return rows.map((r) => r.indexname)
}

async function migrateWith(
  db: Kysely<any>,
  set: Record<string, Migration>,
  target?: string | typeof NO_MIGRATIONS
): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => set } })
  const result = target === undefined ? await migrator.migrateToLatest() : await migrator.migrateTo(target)
  if (result.error !== undefined) throw result.error
}

t.test('a database that ran the first 0011 gets the matching indexes from 0021', async (t) => {
  const db = await emptyDatabase(t)
  await migrateWith(db, migrations, '0020_alter_created_at_milliseconds')
  // The first 0011 made the same table without these indexes: drop them to have its schema.
  for (const name of INDEXES) await sql`drop index ${sql.id(name)}`.execute(db)
  t.same(await indexes(db), [], 'none before')
  const result = await migrateToLatest(db)
  t.same(
    result.results?.[0]?.migrationName,
    '0021_create_matching_indexes',
    'the migrations after 0020 run, 0021 first'
  )
  t.ok(
    result.results?.every((r) => r.status === 'Success'),
    'and every one succeeds'
  )
  t.same(await indexes(db), INDEXES)
  await migrateWith(db, migrations, NO_MIGRATIONS)
  t.same(await indexes(db), [], 'and every migration rolls back')
})

t.test('a database that ran 0011 as it is now: 0021 finds the indexes there and changes nothing', async (t) => {
  const db = await emptyDatabase(t)
  await migrateWith(db, migrations, '0020_alter_created_at_milliseconds')
  t.same(await indexes(db), INDEXES, '0011 created them')
  const result = await migrateToLatest(db)
  t.same([result.results?.[0]?.migrationName, result.results?.[0]?.status], ['0021_create_matching_indexes', 'Success'])
  t.same(await indexes(db), INDEXES)
  await migrateWith(db, migrations, NO_MIGRATIONS)
  t.same(await indexes(db), [], 'and every migration rolls back')
})
