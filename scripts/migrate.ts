import { loadConfig } from '../src/config/config.js'
import { createDatabase } from '../src/db/database.js'
import { ensureDatabase, migrateToLatest } from '../src/db/migrate.js'

const config = loadConfig()
await ensureDatabase(config.DATABASE_URL)
const { db } = createDatabase(config.DATABASE_URL, 1)
const result = await migrateToLatest(db)
for (const r of result.results ?? []) process.stdout.write(`${r.status}: ${r.migrationName}\n`)
await db.destroy()
