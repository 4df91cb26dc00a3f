import type { Test } from 'tap'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  to: string[]
  envelopeFrom: string
  from: string
  subject: string
  messageId: string
  /** The text part, quoted-printable decoded. */
  text: string
  raw: string
}

export interface MailListenerOptions {
  /** Answer this many messages with a failure before accepting. */
  failTimes?: number
  /** The SMTP reply code of those failures (451 temporary by default). */
  failCode?: number
  /** Wait this long before answering each message. */
  delayMs?: number
}

export interface MailListener {
  url: string
  /** Messages accepted: answered 250 on a connection that was still open. */
  messages: ReceivedMail[]
  /** Messages whose data arrived, accepted or not. */
  received: () => number
  /** Messages received and still waiting for their reply. */
  held: () => number
  /** Messages answered with a failure. */
  refused: () => number
  /** The Message-ID of every message whose data arrived, refused ones too, in order. */
  arrivals: string[]
  /** Stop answering: messages received from now on wait until `resume`. */
  pause: () => void
  resume: () => void
  waitFor: (n: number, ms?: number) => Promise<ReceivedMail[]>
}

function header(raw: string, name: string): string {
  const m = new RegExp(`^${name}: (.*)$`, 'im').exec(raw)
  return m === null ? '' : m[1].trim()
}

function decodeText(raw: string): string {
  const body = raw.slice(raw.search(/\r?\n\r?\n/) + 2)
  if (!/^Content-Transfer-Encoding: quoted-printable/im.test(raw)) return body
  return Buffer.from(
    body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
    'latin1'
  ).toString('utf8')
}

/**
 * A real SMTP listener that behaves like a careful mail server: a message counts as delivered only
 * when the 250 reply goes out on a connection that is still open (a client that vanished before the
 * reply never learned the message was taken, and will send it again).
 */
export async function startMailListener(
  t: Pick<Test, 'teardown'>,
  opts: MailListenerOptions = {}
): Promise<MailListener> {
  const messages: ReceivedMail[] = []
  const arrivals: string[] = []
  const closed = new Set<string>()
  let failures = opts.failTimes ?? 0
  let received = 0
  let held = 0
  let refused = 0
  let paused = false
  let waiting: Array<() => void> = []
  const gate = async (): Promise<void> => {
    if (!paused) return
    await new Promise<void>((resolve) => waiting.push(resolve))
  }

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onClose(session) {
      closed.add(session.id)
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        received += 1
        held += 1
        const raw = Buffer.concat(chunks).toString('utf8')
        arrivals.push(header(raw, 'Message-ID'))
        void (async () => {
          if (opts.delayMs !== undefined) await new Promise((r) => setTimeout(r, opts.delayMs))
          await gate()
          held -= 1
          if (failures > 0) {
            failures -= 1
            refused += 1
            const to = session.envelope.rcptTo.map((r) => r.address).join(', ')
            // Real servers quote the address in their refusals; the service must not log it.
            const err = new Error(`Mailbox <${to}> unavailable`) as Error & { responseCode: number }
            err.responseCode = opts.failCode ?? 451
            callback(err)
            return
          }
          if (!closed.has(session.id)) {
            messages.push({
              to: session.envelope.rcptTo.map((r) => r.address),
              envelopeFrom: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
              from: header(raw, 'From'),
              subject: header(raw, 'Subject'),
              messageId: header(raw, 'Message-ID'),
              text: decodeText(raw),
              raw
            })
          }
          callback()
        })()
      })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.server.address() as { port: number }).port
  t.teardown(async () => {
    paused = false
    for (const w of waiting) w()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    received: () => received,
    held: () => held,
    refused: () => refused,
    arrivals,
    pause: () => {
      paused = true
    },
    resume: () => {
      paused = false
      const w = waiting
      waiting = []
      for (const f of w) f()
    },
    waitFor: async (n, ms = 15_000) => {
      const until = Date.now() + ms
      while (messages.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 25))
      return messages
    }
  }
}
