/**
 * Intake under load through the whole service: referrals POSTed by autocannon, their
 * acknowledgements caught by an SMTP listener of the bench's own, each matched to its 201.
 */
import type net from 'node:net'
import { SMTPServer } from 'smtp-server'
import { withClient } from './data.js'
import { load, percentile, sleep, type LoadResult } from './harness.js'

export function referralBody(programmeId: string): string {
  return JSON.stringify({
    programme_id: programmeId,
    young_person: {
      given_name: 'Bench',
      family_name: 'Person',
      date_of_birth: '2012-03-14',
      gender: 'female',
      postcode: 'BR1 3AB',
      care_status: 'none',
      education_setting: { name: 'Ravens Wood School', urn: '101695' },
      school_year: 9,
      interests: ['football']
    },
    referrer: {
      name: 'Sam Teacher',
      role: 'Head of Year',
      organisation: 'Ravens Wood School',
      team: 'Pastoral',
      email: 'sam.teacher@school.example',
      is_parent_or_carer: false
    },
    needs: { areas: ['confidence'], level: 'medium', statement: 'Finding it hard to settle after a move.' },
    risks: { cin_plan: false },
    preferences: { mentor_gender: 'no_preference' },
    consent: {
      young_person: { given: true, recorded_on: '2026-01-05', recorded_by: 'Sam Teacher' },
      parental: { given: true, recorded_on: '2026-01-05', name: 'A Parent', relationship: 'mother' }
    }
  })
}

export interface Mailbox {
  /** Give the service `smtp://127.0.0.1:${port}`. */
  port: number
  /** Each referral reference acknowledged, with the times its emails arrived. */
  received: Map<string, number[]>
  close: () => Promise<void>
}

/** An SMTP listener on 127.0.0.1 that records the acknowledgement emails it receives. */
export async function startMailbox(): Promise<Mailbox> {
  const received = new Map<string, number[]>()
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      let head = ''
      stream.on('data', (c: Buffer) => {
        if (head.length < 4096) head += c.toString('utf8')
      })
      stream.on('end', () => {
        const at = Date.now()
        const ref = (/^Subject: Referral (\S+) received/m.exec(head) ?? [])[1]
        if (ref !== undefined) received.set(ref, [...(received.get(ref) ?? []), at])
        callback()
      })
    }
  })
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve))
  return {
    port: (smtp.server.address() as net.AddressInfo).port,
    received,
    // The service keeps pooled SMTP connections open; smtp-server's close waits for them and may never
    // call back once they are gone, which would leave nothing to keep this process alive.
    close: async () => {
      await Promise.race([
        new Promise<void>((resolve) =>
          smtp.close(() => {
            resolve()
          })
        ),
        sleep(3000)
      ])
    }
  }
}

export interface Intake {
  /** The POST run itself. */
  res: LoadResult
  /** Answered 201. */
  answered: number
  /** Stored in the organisation once the run is over (some were in flight at the stop). */
  stored: number
  /** From each 201 to its first email, for the 201s whose email came. */
  latencies: number[]
  p50: number
  p99: number
  lost: number
  doubled: number
  /** Emails for references that were not stored. */
  stray: number
}

/**
 * POSTs the same referral for `seconds` from `connections` clients, then waits until every referral
 * stored in the organisation has its email (or none came for 20 s), and a little longer for a late duplicate.
 */
export async function measureIntake(job: {
  url: string
  dbUrl: string
  orgId: string
  programmeId: string
  headers: Record<string, string>
  connections: number
  seconds: number
  mailbox: Mailbox
  /** How long to wait for a late duplicate after the last email. */
  settleMs: number
  log: (m: string) => void
}): Promise<Intake> {
  const { received } = job.mailbox
  const res = await load(
    {
      url: job.url,
      connections: job.connections,
      duration: job.seconds,
      headers: job.headers,
      post: { path: '/v1/referrals', body: referralBody(job.programmeId) }
    },
    job.log
  )
  const acks = res.acks ?? []
  // Every stored referral must get exactly one email, including those whose 201 was in flight when the run stopped.
  const storedRefs = async (): Promise<string[]> =>
    await withClient(job.dbUrl, async (c) =>
      (
        await c.query<{ reference: string }>('select reference from referrals where organisation_id = $1', [job.orgId])
      ).rows.map((r) => r.reference)
    )
  // Requests accepted before the load stopped may still commit: read the stored references again each pass.
  let refs = await storedRefs()
  let last = -1
  let still = Date.now()
  while (true) {
    refs = await storedRefs()
    const got = refs.filter((ref) => received.has(ref)).length
    if (got === refs.length) break
    if (got !== last) {
      last = got
      still = Date.now()
    }
    if (Date.now() - still > 20_000) break
    await sleep(100)
  }
  await sleep(job.settleMs) // a late duplicate would arrive now
  refs = await storedRefs()
  const latencies: number[] = []
  for (const [ref, at] of acks) {
    const mails = received.get(ref)
    if (mails !== undefined) latencies.push(mails[0] - at)
  }
  return {
    res,
    answered: acks.length,
    stored: refs.length,
    latencies,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    lost: refs.filter((ref) => !received.has(ref)).length,
    doubled: [...received.values()].filter((m) => m.length > 1).length,
    stray: [...received.keys()].filter((ref) => !refs.includes(ref)).length
  }
}
