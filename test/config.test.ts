import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { createTestDatabase } from './support/set-up.js'
import { ConfigError, DEVELOPMENT_JWT_SECRET, loadConfig } from '../src/config/config.js'

const SECRET = 'a-production-secret-of-more-than-32-characters'

t.test('defaults fill every setting in development', async (t) => {
  const c = loadConfig({})
  t.equal(c.PORT, 3000)
  t.equal(c.DATABASE_URL, 'postgres://postgres@127.0.0.1:5432/waymark')
  t.equal(c.REDIS_URL, 'redis://127.0.0.1:6379')
  t.equal(c.SCHEDULE_TZ, 'Europe/London')
  t.equal(c.JWT_SECRET, DEVELOPMENT_JWT_SECRET, 'development gets a development secret')
  t.same(loadConfig({ CORS_ORIGINS: 'https://a.example, https://b.example' }).CORS_ORIGINS, [
    'https://a.example',
    'https://b.example'
  ])
  t.equal(c.RATE_LIMIT_WINDOW, 60_000, 'one minute')
  t.equal(c.JWT_MAX_AGE, 12 * 3600, 'twelve hours')
})

t.test('durations read as people write them', async (t) => {
  t.equal(loadConfig({ RATE_LIMIT_WINDOW: '30 seconds' }).RATE_LIMIT_WINDOW, 30_000)
  t.equal(loadConfig({ RATE_LIMIT_WINDOW: '2m' }).RATE_LIMIT_WINDOW, 120_000)
  t.equal(loadConfig({ RATE_LIMIT_WINDOW: '1500' }).RATE_LIMIT_WINDOW, 1500, 'a bare number is milliseconds, as before')
  t.equal(loadConfig({ JWT_MAX_AGE: '8h' }).JWT_MAX_AGE, 8 * 3600)
  t.equal(loadConfig({ JWT_MAX_AGE: '3600' }).JWT_MAX_AGE, 3600, 'a bare number is seconds, as in a token')
})

t.test('embedded services: auto by default, never in production', async (t) => {
  const dev = loadConfig({})
  t.equal(dev.EMBEDDED, 'auto')
  t.equal(dev.WAYMARK_DATA_DIR, '.waymark')
  t.same(dev.given, { DATABASE_URL: false, REDIS_URL: false }, 'unset URLs are left to the choice at start-up')
  t.same(loadConfig({ DATABASE_URL: 'postgres://x@db/waymark' }).given, { DATABASE_URL: true, REDIS_URL: false })
  t.equal(
    loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET }).EMBEDDED,
    'never',
    'production never starts an embedded server'
  )
  t.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, EMBEDDED: 'auto' }), {
    message: /EMBEDDED=auto is not allowed/
  })
  t.throws(() => loadConfig({ EMBEDDED: 'sometimes' }), { message: /EMBEDDED/ })
})

t.test('a bad setting is refused, naming it', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'abc' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [{ REDIS_URL: 'http://x' }, /REDIS_URL/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ SCHEDULE_TZ: 'Mars/Olympus' }, /SCHEDULE_TZ/],
    [{ SCHEDULE_TIME: '25:00' }, /SCHEDULE_TIME/],
    [{ JWT_SECRET: 'short' }, /JWT_SECRET/],
    [{ JWT_JWKS_URL: 'https://idp.example/jwks.json' }, /JWT_ISSUER and JWT_AUDIENCE/],
    [{ NOTIFY_API_KEY: 'key-0123456789' }, /NOTIFY_TEMPLATE_ID/],
    [{ RATE_LIMIT_WINDOW: 'soon' }, /RATE_LIMIT_WINDOW/],
    [{ RATE_LIMIT_WINDOW: '0' }, /RATE_LIMIT_WINDOW/],
    [{ RATE_LIMIT_WINDOW: '5 fortnights' }, /RATE_LIMIT_WINDOW/],
    [{ JWT_MAX_AGE: 'forever' }, /JWT_MAX_AGE/],
    [{ JWT_MAX_AGE: '30s' }, /JWT_MAX_AGE/],
    [{ JWT_MAX_AGE: '90d' }, /JWT_MAX_AGE/],
    [{ DATABASE_CONNECT_TIMEOUT_MS: 'a while' }, /DATABASE_CONNECT_TIMEOUT_MS/],
    [{ DATABASE_CONNECT_TIMEOUT_MS: '-1' }, /DATABASE_CONNECT_TIMEOUT_MS/],
    [{ SCHEDULER_CHECK_MS: 'hourly' }, /SCHEDULER_CHECK_MS/],
    [{ SCHEDULER_CHECK_MS: '10' }, /SCHEDULER_CHECK_MS/]
  ]
  for (const [env, named] of cases) {
    let error: unknown
    try {
      loadConfig(env)
    } catch (err) {
      error = err
    }
    t.ok(error instanceof ConfigError, `${JSON.stringify(env)} is refused`)
    t.match((error as Error | undefined)?.message ?? '', named, 'the message names the setting')
  }
})

t.test('production needs a real secret or a JWKS, and refuses the development secret', async (t) => {
  t.throws(() => loadConfig({ NODE_ENV: 'production' }), { message: /JWT_SECRET or JWT_JWKS_URL is required/ })
  t.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: DEVELOPMENT_JWT_SECRET }), {
    message: /development secret/
  })
  t.equal(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET }).JWT_SECRET, SECRET)
  const jwks = loadConfig({
    NODE_ENV: 'production',
    JWT_JWKS_URL: 'https://idp.example/jwks.json',
    JWT_ISSUER: 'https://idp.example/',
    JWT_AUDIENCE: 'waymark'
  })
  t.equal(jwks.JWT_SECRET, undefined, 'no HS256 secret is invented in production')
})

t.test('the process stops at start-up with a message naming the setting', async (t) => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'api'], {
    env: { ...process.env, PORT: 'not-a-port', NODE_ENV: 'development' },
    encoding: 'utf8',
    timeout: 60_000
  })
  t.equal(run.status, 78, 'exit code 78 (configuration error)')
  t.match(run.stderr, /Invalid configuration: PORT/)
})

t.test('a bad RATE_LIMIT_WINDOW stops the process at start-up too', async (t) => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'api'], {
    env: { ...process.env, RATE_LIMIT_WINDOW: 'soon', NODE_ENV: 'development' },
    encoding: 'utf8',
    timeout: 60_000
  })
  t.equal(run.status, 78)
  t.match(run.stderr, /Invalid configuration: RATE_LIMIT_WINDOW/)
})

/** Starts the API and collects its output until `done` says so (or 60 s pass), then stops it. */
async function startUntil(env: Record<string, string | undefined>, done: (out: string) => boolean): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'api'], {
    env: env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  return await new Promise<string>((resolve) => {
    const finish = (): void => {
      clearTimeout(timer)
      child.kill('SIGTERM')
      resolve(out)
    }
    const timer = setTimeout(finish, 60_000)
    const take = (chunk: Buffer): void => {
      out += chunk.toString('utf8')
      if (done(out)) finish()
    }
    child.stdout.on('data', take)
    child.stderr.on('data', take)
    child.on('exit', () => {
      clearTimeout(timer)
      resolve(out)
    })
  })
}

t.test('the development secret in use is announced loudly at start-up', async (t) => {
  const databaseUrl = await createTestDatabase(t)
  const base: Record<string, string | undefined> = {
    ...process.env,
    NODE_ENV: 'development',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    QUEUE_PREFIX: `wmtest:${randomUUID().slice(0, 8)}`,
    LOG_LEVEL: 'info'
  }
  delete base.JWT_SECRET
  delete base.JWT_JWKS_URL
  const dev = await startUntil(base, (out) => out.includes('waymark ready'))
  t.match(dev, /WARNING: JWT_SECRET is the development secret/)
  t.match(dev, /!{50}/, 'set apart so nobody misses it')
  t.match(dev, /waymark ready/, 'and the service still starts in development')
  const real = await startUntil({ ...base, JWT_SECRET: SECRET }, (out) => out.includes('waymark ready'))
  t.match(real, /waymark ready/)
  t.notMatch(real, /development secret/, 'no warning with a real secret')
})
