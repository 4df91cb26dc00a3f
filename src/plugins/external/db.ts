import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { createDatabase, type Database } from '../../db/database.js'
import type pg from 'pg'

declare module 'fastify' {
  interface FastifyInstance {
    db: Database
    pgPool: pg.Pool
  }
}

export default fp(
  async function dbPlugin(app: FastifyInstance) {
    const { db, pool } = createDatabase(app.config.DATABASE_URL, app.config.DATABASE_POOL_SIZE, {
      statementTimeoutMs: app.config.DATABASE_QUERY_TIMEOUT_MS
    })
    app.decorate('db', db)
    app.decorate('pgPool', pool)
    app.addHook('onClose', async () => {
      await db.destroy()
    })
  },
  { name: 'db', dependencies: ['config'] }
)
