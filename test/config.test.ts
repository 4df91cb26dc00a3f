import t from 'tap'
import { spawnSync } from 'node:child_process'
import { ConfigError, DEVELOPMENT_JWT_SECRET, loadConfig } from '../src/config/config.js'

const SECRET = 'a-production-secret-of-more-than-32-characters'

t.test('defaults fill every setting in development', async (t) => {
  const c = loadConfig({})
  t.equal(c.PORT, 3000)
  t.equal(c.DATABASE_URL, 'postgres://postgres@127.0.0.1:5432/waymark')
  t.equal(c.REDIS_URL, 'redis://127.0.0.1:6379')
  t.equal(c.SCHEDULE_TZ, 'Europe/London')
  t.equal(c.JWT_SECRET, DEVELOPMENT_JWT_SECRET, 'development gets a development secret')
  t.same(loadConfig({ CORS_ORIGINS: 'https://a.example, https://b.example' }).CORS_ORIGINS, ['https://a.example', 'https://b.example'])
})

t.test('embedded services: auto by default, never in production', async (t) => {
  const dev = loadConfig({})
  t.equal(dev.EMBEDDED, 'auto')
  t.equal(dev.WAYMARK_DATA_DIR, '.waymark')
  t.same(dev.given, { DATABASE_URL: false, REDIS_URL: false }, 'unset URLs are left to the choice at start-up')
  t.same(loadConfig({ DATABASE_URL: 'postgres://x@db/waymark' }).given, { DATABASE_URL: true, REDIS_URL: false })
  t.equal(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET }).EMBEDDED, 'never', 'production never starts an embedded server')
  t.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, EMBEDDED: 'auto' }), { message: /EMBEDDED=auto is not allowed/ })
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
    [{ NOTIFY_API_KEY: 'key-0123456789' }, /NOTIFY_TEMPLATE_ID/]
  ]
  for (const [env, named] of cases) {
    let error: unknown
    try { loadConfig(env) } catch (err) { error = err }
    t.ok(error instanceof ConfigError, `${JSON.stringify(env)} is refused`)
    t.match((error as Error | undefined)?.message ?? '', named, 'the message names the setting')
  }
})

t.test('production needs a real secret or a JWKS, and refuses the development secret', async (t) => {
  t.throws(() => loadConfig({ NODE_ENV: 'production' }), { message: /JWT_SECRET or JWT_JWKS_URL is required/ })
  t.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: DEVELOPMENT_JWT_SECRET }), { message: /development secret/ })
  t.equal(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET }).JWT_SECRET, SECRET)
  const jwks = loadConfig({ NODE_ENV: 'production', JWT_JWKS_URL: 'https://idp.example/jwks.json', JWT_ISSUER: 'https://idp.example/', JWT_AUDIENCE: 'waymark' })
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
