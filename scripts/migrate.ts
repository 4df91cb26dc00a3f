import { createDatabase } from '../src/db/database.js'
import { ensureDatabase, migrateToLatest } from '../src/db/migrate.js'
import { openServices } from './services.js'

const { config, services } = await openServices()
try {
  await ensureDatabase(config.DATABASE_URL)
  const { db } = createDatabase(config.DATABASE_URL, 1)
  try {
    const result = await migrateToLatest(db)
    for (const r of result.results ?? []) process.stdout.write(`${r.status}: ${r.migrationName}\n`)
    if ((result.results ?? []).length === 0) process.stdout.write('No pending migrations\n')
  } finally {
    await db.destroy()
  }
} finally {
  await services.release()
}
