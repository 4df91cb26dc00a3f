import { spawn } from 'node:child_process'
import { statSync } from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import t from 'tap'
import { acquireEmbeddedPostgres, EmbeddedRefusedError } from '../../src/embedded/embedded-postgres.js'
import { ROOT } from '../support/processes.js'
import { postgresOf, tempDataDir } from './support.js'

async function query(url: string, text: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(text)).rows
  } finally {
    await client.end()
  }
}

t.test(
  'a first start makes the cluster with a 0600 password; a second user joins; the last to leave stops it',
  async (t) => {
    const dataDir = tempDataDir(t)
    const first = await acquireEmbeddedPostgres({ dataDir })
    t.equal(first.how, 'started')
    t.equal(statSync(path.join(dataDir, 'password')).mode & 0o777, 0o600, 'the generated password is kept mode 0600')
    t.same(await query(first.url('postgres'), 'select 1 as one'), [{ one: 1 }])
    t.equal(postgresOf(dataDir).length, 1, 'one postmaster')

    const bad = new URL(first.url('postgres'))
    bad.password = 'not-the-password'
    await t.rejects(query(bad.toString(), 'select 1'), { code: '28P01' }, 'the password is required')

    const second = await acquireEmbeddedPostgres({ dataDir })
    t.equal(second.how, 'joined', 'a second user joins the running server')
    t.equal(second.port, first.port)
    t.equal(await second.release(), 'left', 'the second leaves it running for the first')
    t.same(await query(first.url('postgres'), 'select 1 as one'), [{ one: 1 }], 'still serving the first')

    t.equal(await first.release(), 'stopped', 'the last user stops it')
    t.same(postgresOf(dataDir), [], 'no PostgreSQL of the data dir is left')

    const again = await acquireEmbeddedPostgres({ dataDir })
    t.equal(again.how, 'started', 'a later start reuses the cluster')
    t.equal(await again.release(), 'stopped')
  }
)

t.test('a server left by a killed process is taken over, and stopped by its new user', async (t) => {
  const dataDir = tempDataDir(t)
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `
    import('./src/embedded/embedded-postgres.ts').then(async (m) => {
      const s = await m.acquireEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)} })
      process.stdout.write('ready ' + s.how + '\\n')
      setInterval(() => {}, 1000)
    })`
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] }
  )
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      if (c.toString().includes('ready started')) resolve()
    })
    child.once('exit', (code) => {
      reject(new Error(`exited ${String(code)}`))
    })
  })
  child.kill('SIGKILL')
  await new Promise((resolve) => child.once('exit', resolve))
  t.equal(postgresOf(dataDir).length, 1, 'the killed process left its server running')

  const next = await acquireEmbeddedPostgres({ dataDir })
  t.equal(next.how, 'taken over')
  t.equal(await next.release(), 'stopped', 'no other user holds it: leaving stops it')
  t.same(postgresOf(dataDir), [])
})

t.test('a data dir with a cluster but no password file is refused, naming the data dir', async (t) => {
  const dataDir = tempDataDir(t)
  const first = await acquireEmbeddedPostgres({ dataDir })
  await first.release()
  const { rmSync } = await import('node:fs')
  rmSync(path.join(dataDir, 'password'))
  const refused = await acquireEmbeddedPostgres({ dataDir }).then(
    () => null,
    (err: unknown) => err
  )
  t.ok(refused instanceof EmbeddedRefusedError, 'refused')
  t.match((refused as Error).message, dataDir, 'the message names the data dir')
  t.same(postgresOf(dataDir), [], 'refusing leaves no server running')
})
