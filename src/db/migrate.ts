import pg from 'pg'
import type { Kysely } from 'kysely'
import { Migrator, type Migration, type MigrationResultSet } from 'kysely/migration'
import { migrations } from '../../migrations/index.js'

/** Creates the database named in the URL when it does not exist yet. */
export async function ensureDatabase(connectionString: string): Promise<void> {
  const url = new URL(connectionString)
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''))
  if (name === '' || name === 'postgres') return
  url.pathname = '/postgres'
  // Bounded both ways: a server that is down or frozen fails this, and the caller tries again.
  const client = new pg.Client({
    connectionString: url.toString(),
    connectionTimeoutMillis: 5000,
    query_timeout: 30_000
  })
  client.on('error', () => {})
  await client.connect()
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name])
    if (found.rowCount === 0) {
      try {
        await client.query(`create database "${name.replace(/"/g, '""')}"`)
      } catch (err) {
        // Another instance created it between the check and the create.
        if ((err as { code?: string }).code !== '42P04') throw err
      }
    }
  } finally {
    await endClient(client)
  }
}

/** Ends a client, and drops its socket when a frozen server does not see the goodbye through. */
async function endClient(client: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const ended = await Promise.race([
    client.end().then(
      () => true,
      () => true
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), 1000)
    })
  ])
  clearTimeout(timer)
  if (!ended) client.connection.stream.destroy()
}

/**
 * Applies pending migrations. Kysely's PostgreSQL adapter holds a session advisory lock while it
 * migrates, so two instances starting together never run a migration twice.
 *
 * Migrations are numbered in ranges written side by side, so one can arrive with a lower number than
 * one a database already has (0040 after 0080 ran): it is applied then, not refused as out of order.
 */
export async function migrateToLatest<T>(
  db: Kysely<T>,
  available: Record<string, Migration> = migrations
): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => available },
    allowUnorderedMigrations: true
  })
  const result = await migrator.migrateToLatest()
  if (result.error !== undefined) throw result.error
  return result
}
