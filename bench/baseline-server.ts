/**
 * The baseline: bare Fastify + pg, the same lookups as the API without authentication, tenancy
 * checks, response schema or Kysely. Same pool size and log level as the API under test.
 */
import Fastify from 'fastify'
import pg from 'pg'

const env = (k: string, d?: string): string => {
  const v = process.env[k] ?? d
  if (v === undefined) throw new Error(`${k} is required`)
  return v
}
const pool = new pg.Pool({ connectionString: env('DATABASE_URL'), max: Number(env('DATABASE_POOL_SIZE', '16')) })
const org = env('BENCH_ORG_ID')
const app = Fastify({ logger: { level: env('LOG_LEVEL', 'warn') } })
// The referral's columns as stored, not the rendering the service keeps beside them (migration 0143):
// what a route without that rendering would read.
const columns = (
  await pool.query<{ c: string }>(
    "select string_agg(quote_ident(column_name), ', ' order by ordinal_position) as c from information_schema.columns where table_name = 'referrals' and column_name <> 'rendering'"
  )
).rows[0].c

app.get('/referrals/:id', async (request, reply) => {
  const { id } = request.params as { id: string }
  const r = await pool.query(`select ${columns} from referrals where id = $1 and organisation_id = $2`, [id, org])
  if (r.rows.length === 0) return await reply.code(404).send({ status: 404 })
  return r.rows[0]
})

app.get('/referrals', async (request) => {
  const q = request.query as { limit?: string; cursor?: string }
  const limit = Math.min(200, Math.max(1, Number(q.limit ?? 50)))
  let r: pg.QueryResult
  if (q.cursor !== undefined) {
    const [at, id] = JSON.parse(Buffer.from(q.cursor, 'base64url').toString('utf8')) as [string, string]
    r = await pool.query(
      `select ${columns} from referrals where organisation_id = $1 and (created_at, id) < ($2, $3) order by created_at desc, id desc limit $4`,
      [org, at, id, limit + 1]
    )
  } else {
    r = await pool.query(
      `select ${columns} from referrals where organisation_id = $1 order by created_at desc, id desc limit $2`,
      [org, limit + 1]
    )
  }
  const rows = r.rows.slice(0, limit)
  const last = rows[rows.length - 1]
  const next =
    r.rows.length > limit
      ? Buffer.from(JSON.stringify([last.created_at.toISOString(), last.id])).toString('base64url')
      : null
  return { data: rows, next_cursor: next }
})

await app.listen({ port: Number(env('PORT')), host: '127.0.0.1' })
process.on('SIGTERM', () => {
  void app
    .close()
    .then(async () => {
      await pool.end()
    })
    .finally(() => process.exit(0))
})
