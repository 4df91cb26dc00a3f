import { spawn, spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t, { type Test } from 'tap'
import { referralBody } from './support/bodies.js'
import { startMailListener } from './support/mail.js'
import { closedPort, ROOT, serviceEnv, spawnService } from './support/processes.js'
import { testDatabaseUrl } from './support/set-up.js'
import { waitUntil } from './support/time.js'
import { tokenFor } from './support/tokens.js'

interface Stage {
  name: string
  lines: string[]
}

/** The Dockerfile's stages and their instructions, continuation lines joined, comments dropped. */
function dockerfileStages(): Stage[] {
  const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ')
  const stages: Stage[] = []
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue
    const from = /^FROM \S+ AS (\S+)$/i.exec(line)
    if (from !== null) stages.push({ name: from[1], lines: [] })
    else stages.at(-1)?.lines.push(line)
  }
  return stages
}

/**
 * The runtime image's /app, assembled as the Dockerfile's stages assemble it, without a Docker engine:
 * each stage gets a folder standing for its root; COPY, WORKDIR and RUN are carried out there (absolute
 * paths in a RUN mapped into that folder). The build stage's `npm run build` is the bundle built by the
 * caller at `bundle`. Returns the image's working folder, its environment and its CMD.
 */
function assembleImage(
  t: Test,
  bundle: string
): { app: string; env: Record<string, string>; cmd: string[]; healthcheck: string[] } {
  const root = mkdtempSync(path.join(tmpdir(), 'waymark-image-'))
  t.teardown(() => {
    rmSync(root, { recursive: true, force: true })
  })
  const stageRoot = (name: string): string => path.join(root, name)
  const env: Record<string, string> = {}
  let cmd: string[] = []
  let healthcheck: string[] = []
  let workdir = '/'
  for (const stage of dockerfileStages()) {
    workdir = '/'
    const inStage = (p: string): string =>
      path.join(stageRoot(stage.name), path.posix.isAbsolute(p) ? p : path.posix.join(workdir, p))
    mkdirSync(stageRoot(stage.name), { recursive: true })
    for (const line of stage.lines) {
      const [op, ...rest] = line.split(/\s+/)
      const args = rest.filter((a) => !a.startsWith('--chown='))
      if (op === 'WORKDIR') {
        workdir = args[0]
        mkdirSync(inStage('.'), { recursive: true })
      } else if (op === 'COPY') {
        const fromFlag = args.find((a) => a.startsWith('--from='))
        const paths = args.filter((a) => !a.startsWith('--'))
        const dest = paths.pop() ?? '.'
        for (const src of paths) {
          const source =
            fromFlag !== undefined ? path.join(stageRoot(fromFlag.slice('--from='.length)), src) : path.join(ROOT, src)
          const target = dest.endsWith('/') ? path.join(inStage(dest), path.basename(src)) : inStage(dest)
          cpSync(source, target, { recursive: true })
        }
      } else if (op === 'RUN') {
        if (stage.name === 'build') {
          // The build stage's install and `npm run build` make the bundle this test built above.
          t.ok(['RUN npm ci --no-audit --no-fund', 'RUN npm run build'].includes(line), `build stage: ${line}`)
          continue
        }
        const command = line.slice('RUN '.length).replace(/(^|\s)\/(?=\w)/g, `$1${stageRoot(stage.name)}/`)
        const run = spawnSync('bash', ['-c', command], {
          cwd: inStage('.'),
          env: { ...process.env, npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' },
          encoding: 'utf8'
        })
        t.equal(run.status, 0, `${line}\n${run.stdout}${run.stderr}`)
      } else if (op === 'ENV') {
        for (const pair of args) {
          const [k, v] = pair.split('=')
          env[k] = v
        }
      } else if (op === 'CMD') {
        cmd = JSON.parse(rest.join(' ')) as string[]
      } else if (op === 'HEALTHCHECK') {
        healthcheck = JSON.parse(
          line.slice(line.indexOf('CMD ') + 4).replace(/^node -e (.*)$/, '["node","-e",$1]')
        ) as string[]
      }
    }
    if (stage.name === 'build') {
      mkdirSync(inStage('dist'), { recursive: true })
      cpSync(bundle, inStage('dist/waymark.mjs'))
    }
  }
  const last = dockerfileStages().at(-1)?.name ?? 'runtime'
  return { app: path.join(stageRoot(last), workdir), env, cmd, healthcheck }
}

/**
 * The production build is one bundle (`npm run build`, dist/waymark.mjs): what the Dockerfile runs.
 * The rest of the suite runs the sources under tsx, so this builds the bundle, lays it out with the
 * few packages the image carries (nothing else: Node finds no other node_modules from there), and uses
 * it as a new deployment would: on a database that does not exist yet, with mail going to a real SMTP
 * listener.
 */
t.test('the production image creates its database, serves, acknowledges and stops cleanly', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'waymark-build-'))
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
  const image = assembleImage(t, path.join(dir, 'waymark.mjs'))
  t.same(image.cmd.slice(0, 2), ['node', 'dist/waymark.mjs'], 'the image runs the bundle with node')
  t.equal(image.env.NODE_ENV, 'production')
  const service = spawnService(
    t,
    image.cmd[2] as 'all',
    serviceEnv({ databaseUrl, smtpUrl: smtp.url, port }, { ...image.env, HOST: '127.0.0.1', PORT: String(port) }),
    image.cmd.slice(1, 2),
    image.app
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

  // The image's HEALTHCHECK, run as Docker runs it.
  const health = spawnSync(process.execPath, image.healthcheck.slice(1), {
    env: { PATH: process.env.PATH ?? '', PORT: String(port) },
    encoding: 'utf8'
  })
  t.equal(health.status, 0, `HEALTHCHECK passes: ${health.stderr}`)

  // The queue dashboard's page and assets are also left outside the bundle.
  const platform = { authorization: `Bearer ${tokenFor('platform_admin', { org: null })}` }
  const dashboard = await fetch(`${base}/admin/queues`, { headers: platform })
  t.equal(dashboard.status, 200)
  const page = await dashboard.text()
  const asset = /src="([^"]+\.js)"/.exec(page)?.[1]
  t.ok(asset, 'the dashboard page loads a script')
  const script = await fetch(new URL(asset ?? '', `${base}/admin/queues/`), { headers: platform })
  t.equal(script.status, 200, `dashboard script ${asset ?? ''}`)
  t.ok((await script.arrayBuffer()).byteLength > 1000, 'the script is served whole')

  service.proc.kill('SIGTERM')
  const exit = await service.exited
  t.equal(exit.code, 0, service.output().slice(-2000))
})
