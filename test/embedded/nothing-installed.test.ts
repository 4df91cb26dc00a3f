import { spawn, spawnSync } from 'node:child_process'
import t from 'tap'
import { ROOT } from '../support/processes.js'
import { postgresOf, tempDataDir } from './support.js'

/**
 * `npm start` on a machine with nothing installed: in a network namespace of its own, where
 * nothing answers at 127.0.0.1:5432 or :6379, the service starts an embedded PostgreSQL and runs
 * its queues on it. The scenario is played by nothing-installed.driver.ts inside the namespace.
 */
const canIsolate = process.getuid?.() === 0 && spawnSync('unshare', ['-n', 'true']).status === 0

// Three starts of npm start and several scripts: minutes on a loaded machine.
t.setTimeout(900_000)
t.test(
  'npm start with nothing installed: embedded PostgreSQL, queues on PostgreSQL',
  { skip: canIsolate ? false : 'needs root and unshare -n (as in CI)', timeout: 900_000 },
  async (t) => {
    const dataDir = tempDataDir(t, 'waymark-nothing-installed')
    const steps = new Map<string, any>()
    const out = await new Promise<string>((resolve) => {
      const child = spawn(
        'unshare',
        [
          '-n',
          'sh',
          '-c',
          'ip link set lo up && exec "$0" --import tsx test/embedded/nothing-installed.driver.ts "$1"',
          process.execPath,
          dataDir
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }
      )
      let text = ''
      child.stdout.on('data', (c: Buffer) => {
        text += c.toString('utf8')
      })
      child.stderr.on('data', (c: Buffer) => {
        text += c.toString('utf8')
      })
      child.once('exit', () => {
        resolve(text)
      })
    })
    for (const line of out.split('\n')) {
      try {
        const r = JSON.parse(line) as { step: string }
        steps.set(r.step, r)
      } catch {
        /* not a finding */
      }
    }
    const step = (name: string): any => steps.get(name) ?? {}
    t.notOk(steps.has('error'), step('error').message ?? '')

    const first = step('first start')
    t.ok(first.ready, `ready after the first start ${first.output ?? ''}`)
    t.match(
      first.chosen,
      { database: 'embedded', queues: 'postgres', embedded: 'started' },
      'one line says what was chosen'
    )
    t.match(
      first.chosen?.msg,
      /DATABASE_URL is unset and nothing answers at 127\.0\.0\.1:5432.*REDIS_URL is unset and nothing answers at 127\.0\.0\.1:6379/,
      'and why'
    )
    t.same(first.health, { status: 'ok', queue_backend: 'postgres', checks: { postgres: 'ok', queues: 'ok' } })
    t.comment(`first start, spawn of npm start to the first /health/ready 200: ${String(first.ms)} ms`)

    const referral = step('referral')
    t.match(
      referral,
      { org: 201, programme: 201, created: 201, mails: 1, acknowledged: true },
      'a referral submitted and acknowledged by email'
    )
    t.match(referral.subject, referral.reference)
    t.equal(referral.unknown_org?.code, 2, 'token refuses an organisation the running server does not have')

    t.match(
      step('second instance').chosen,
      { database: 'embedded', embedded: 'joined' },
      'a second instance joins the running server'
    )
    t.match(
      step('second instance stopped'),
      { code: 0, clean: true, postmasters: 1 },
      'stopping it leaves the server to the first'
    )
    t.equal(step('second instance').first_still_ready, true)

    t.match(
      step('stop'),
      { code: 0, clean: true, postmasters: 0 },
      'SIGTERM: drained, and no PostgreSQL of the data dir left'
    )

    const later = step('later start')
    t.ok(later.ready, `ready after a later start ${later.output ?? ''}`)
    t.comment(`later start: ${String(later.ms)} ms`)
    t.same(
      step('kept'),
      { step: 'kept', status: 200, reference: referral.reference },
      'the data is kept across a restart'
    )

    t.match(step('killed'), { postmasters: 1 }, 'a SIGKILL leaves the embedded server running')
    const recovered = step('start after kill')
    t.ok(recovered.ready, 'the next start is ready')
    t.match(recovered.chosen, { embedded: 'taken over' }, 'it takes the orphan over')
    t.equal(step('kept after kill').status, 200)
    t.match(
      step('migrate'),
      { code: 0, stdout: /No pending migrations/, stderr: /embedded PostgreSQL.*joined the running server/ },
      'npm run migrate uses the running embedded server'
    )
    t.match(step('final stop'), { code: 0, clean: true, postmasters: 0 })
    t.same(postgresOf(dataDir), [], 'nothing left running')
  }
)
