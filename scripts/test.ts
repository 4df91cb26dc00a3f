/**
 * The suite runner behind `npm test` (after the type check and the linters): tap, against
 *
 * - PostgreSQL: `TEST_DATABASE_ADMIN_URL` when set; else the local server when something answers at
 *   127.0.0.1:5432 (as in CI); else, on a machine with Node alone, an embedded PostgreSQL of the
 *   tests' own under `node_modules/.cache/waymark-test/` (started here, stopped when the suite ends);
 * - queues: Redis at `TEST_REDIS_URL` when set, else the local Redis when something answers at
 *   127.0.0.1:6379; else every queue on BullMQ's PostgreSQL backend, and the tests that are about
 *   Redis itself (outages, restarts) are skipped, each saying why.
 *
 * One line says what was chosen. Arguments go to tap: `npm test -- test/routes/mentors.test.ts`.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { answers } from '../src/config/services.js'
import { acquireEmbeddedPostgres, type EmbeddedServer } from '../src/embedded/embedded-postgres.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const env: NodeJS.ProcessEnv = { ...process.env }
const said: string[] = []

let embedded: EmbeddedServer | null = null
if (env.TEST_DATABASE_ADMIN_URL !== undefined && env.TEST_DATABASE_ADMIN_URL !== '') {
  said.push('PostgreSQL at TEST_DATABASE_ADMIN_URL')
} else if (await answers(5432)) {
  said.push('the local PostgreSQL (127.0.0.1:5432)')
} else {
  const dataDir = path.join(root, 'node_modules', '.cache', 'waymark-test')
  try {
    embedded = await acquireEmbeddedPostgres({ dataDir })
  } catch (err) {
    process.stderr.write(
      `npm test: nothing answers at 127.0.0.1:5432 and no embedded PostgreSQL could start (${(err as Error).message}).\n` +
        'Start PostgreSQL there, or set TEST_DATABASE_ADMIN_URL to a superuser URL of another server.\n'
    )
    process.exit(1)
  }
  env.TEST_DATABASE_ADMIN_URL = embedded.url('postgres')
  said.push(`an embedded PostgreSQL (${dataDir}, port ${embedded.port}), as nothing answers at 127.0.0.1:5432`)
}

if (env.TEST_REDIS_URL !== undefined && env.TEST_REDIS_URL !== '') {
  said.push('Redis at TEST_REDIS_URL')
} else if (await answers(6379)) {
  said.push('the local Redis (127.0.0.1:6379)')
} else {
  env.TEST_QUEUE_BACKEND ??= 'postgres'
  env.TEST_REDIS = 'absent'
  said.push('queues on PostgreSQL and the Redis tests skipped, as nothing answers at 127.0.0.1:6379')
}
process.stdout.write(`npm test: ${said.join('; ')}\n`)

const tap = spawn(
  process.execPath,
  [path.join(root, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs'), ...process.argv.slice(2)],
  {
    cwd: root,
    env,
    stdio: 'inherit'
  }
)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    tap.kill(signal)
  })
}
const code = await new Promise<number>((resolve) => {
  tap.once('exit', (exitCode, signal) => {
    resolve(exitCode ?? (signal !== null ? 1 : 0))
  })
})
if (embedded !== null) await embedded.release()
process.exit(code)
