import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { rmSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { referralBody } from './support/bodies.js'
import { startMailListener } from './support/mail.js'
import { closedPort, ROOT, serviceEnv, spawnService } from './support/processes.js'
import { testDatabaseUrl } from './support/set-up.js'
import { waitUntil } from './support/time.js'
import { tokenFor } from './support/tokens.js'

/**
 * The production build is one bundle (`npm run build`, dist/waymark.mjs): what the Dockerfile runs.
 * The rest of the suite runs the sources under tsx, so this builds the bundle and uses it as a new
 * deployment would: on a database that does not exist yet, with mail going to a real SMTP listener.
 */
t.test('the production bundle creates its database, serves, acknowledges and stops cleanly', async (t) => {
  const dir = path.join(ROOT, 'node_modules', '.cache', `waymark-build-${randomUUID().slice(0, 8)}`)
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true })
  })
  const built = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'scripts/build.ts', '--outfile', path.join(dir, 'waymark.mjs')],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }
    )
    let out = ''
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8')
    })
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString('utf8')
    })
    child.on('exit', (code) => {
      resolve({ code, out })
    })
  })
  t.equal(built.code, 0, built.out)

  const databaseUrl = testDatabaseUrl(t)
  const smtp = await startMailListener(t)
  const port = await closedPort()
  const base = `http://127.0.0.1:${port}`
  const service = spawnService(
    t,
    'all',
    serviceEnv({ databaseUrl, smtpUrl: smtp.url, port }, { NODE_ENV: 'production' }),
    [path.join(dir, 'waymark.mjs')]
  )

  const ready = await service.waitForLine(/waymark ready/, 30_000)
  t.comment(`bundle start-up to ready, database created and migrated: ${String(ready.ms)} ms`)
  await waitUntil(
    async () => (await fetch(`${base}/health/ready`).catch(() => null))?.status === 200,
    10_000,
    '/health/ready'
  )

  const call = async (
    method: string,
    route: string,
    token: string,
    body?: unknown
  ): Promise<{ status: number; json: any; headers: Headers }> => {
    const res = await fetch(`${base}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {})
      },
      body: body !== undefined ? JSON.stringify(body) : undefined
    })
    return { status: res.status, json: await res.json(), headers: res.headers }
  }
  const org = await call('POST', '/v1/organisations', tokenFor('platform_admin', { org: null }), {
    name: 'Bundle Org',
    code: 'BND'
  })
  t.equal(org.status, 201)
  const programme = await call('POST', '/v1/programmes', tokenFor('admin', { org: org.json.id }), {
    name: 'Bundle Programme',
    kind: 'mentoring',
    rules: {}
  })
  t.equal(programme.status, 201)
  const referrer = tokenFor('referrer', { org: org.json.id })
  const created = await call('POST', '/v1/referrals', referrer, referralBody(programme.json.id))
  t.equal(created.status, 201, JSON.stringify(created.json))

  await waitUntil(() => smtp.messages.length === 1, 15_000, 'the acknowledgement')
  t.match(smtp.messages[0].subject, created.json.reference as string, 'the acknowledgement quotes the reference')

  // The sender marks the referral acknowledged when it records the message sent, just after the 250.
  const readNow = async (): Promise<{ status: number; json: any; headers: Headers }> =>
    await call('GET', `/v1/referrals/${created.json.id as string}`, referrer)
  await waitUntil(async () => (await readNow()).json.status === 'acknowledged', 10_000, 'the referral acknowledged')
  const read = await readNow()
  t.equal(read.status, 200)
  t.ok(read.headers.get('etag'))
  t.equal(read.json.status, 'acknowledged')
  const list = await call('GET', '/v1/referrals', referrer)
  t.same(
    list.json.data.map((r: { id: string }) => r.id),
    [created.json.id]
  )

  const bad = await call('POST', '/v1/referrals', referrer, { programme_id: 'nope' })
  t.equal(bad.status, 400)
  t.equal(bad.headers.get('content-type'), 'application/problem+json; charset=utf-8')

  // Swagger UI is left outside the bundle: its page and files still come from its package.
  const docs = await fetch(`${base}/docs/`)
  t.equal(docs.status, 200)
  t.match(await docs.text(), /swagger/i)
  const bundleJs = await fetch(`${base}/docs/static/swagger-ui-bundle.js`)
  t.equal(bundleJs.status, 200)
  t.ok((await bundleJs.arrayBuffer()).byteLength > 100_000)
  const spec = await fetch(`${base}/docs/json`)
  t.equal(((await spec.json()) as { openapi: string }).openapi.slice(0, 3), '3.1')

  service.proc.kill('SIGTERM')
  const exit = await service.exited
  t.equal(exit.code, 0, service.output().slice(-2000))
})
