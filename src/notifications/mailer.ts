import nodemailer from 'nodemailer'
import { NotifyClient } from 'notifications-node-client'
import type { Logger } from 'pino'
import type { Config } from '../config/config.js'

export interface OutgoingMessage {
  notificationId: string
  kind: string
  to: string
  subject: string
  body: string
}

/** The provider refused the message for good: sending it again cannot help. */
export class PermanentSendError extends Error {
  override name = 'PermanentSendError'
}

export interface Mailer {
  readonly name: string
  /** Sends; returns the provider's message id. Throws PermanentSendError when a retry cannot help. */
  send: (message: OutgoingMessage) => Promise<string | null>
  close: () => Promise<void>
}

/** j***@example.org: enough to recognise, not enough to identify. */
export function maskEmail(email: string): string {
  const [local, domain] = email.split('@')
  return `${(local ?? '').slice(0, 1)}***@${domain ?? ''}`
}

/** The SMTP reply code of a failed send: the command's own, or a refused recipient's. */
function smtpReplyCode(err: unknown): number | undefined {
  const e = err as { responseCode?: number; rejectedErrors?: Array<{ responseCode?: number }> }
  if (typeof e?.responseCode === 'number') return e.responseCode
  return e?.rejectedErrors?.map((r) => r.responseCode).find((c) => typeof c === 'number')
}

function smtpMailer(url: string, from: string, connections: number): Mailer {
  // Pooled connections: one SMTP handshake per connection rather than per message.
  const transport = nodemailer.createTransport(
    { url, pool: true, maxConnections: connections, maxMessages: 1000 },
    { from }
  )
  return {
    name: 'smtp',
    async send(m) {
      try {
        const info = await transport.sendMail({
          to: m.to,
          subject: m.subject,
          text: m.body,
          // A stable Message-ID lets a receiving system recognise the same notification.
          messageId: `<${m.notificationId}@waymark>`,
          headers: { 'X-Waymark-Notification': m.notificationId, 'X-Waymark-Kind': m.kind }
        })
        return info.messageId ?? null
      } catch (err) {
        const code = smtpReplyCode(err)
        // RFC 5321: a 5xx reply is a permanent refusal (sending again gets the same answer); a 4xx one is
        // temporary and the job is retried with backoff, as is a connection that failed without a reply.
        if (code !== undefined && code >= 500 && code < 600) {
          throw new PermanentSendError(`SMTP refused the message permanently (${code})`)
        }
        throw err
      }
    },
    async close() {
      transport.close()
    }
  }
}

function notifyMailer(apiKey: string, templateId: string, baseUrl: string | undefined): Mailer {
  const client = baseUrl !== undefined ? new NotifyClient(baseUrl, apiKey) : new NotifyClient(apiKey)
  return {
    name: 'notify',
    async send(m) {
      try {
        const res = await client.sendEmail(templateId, m.to, {
          personalisation: { subject: m.subject, body: m.body },
          reference: m.notificationId
        })
        return (res.data as { id?: string }).id ?? null
      } catch (err) {
        const status = (err as { response?: { status?: number } }).response?.status
        // 400 (a bad request, a recipient not allowed in trial mode) and 403 (a bad key) come back the
        // same on every try; 429 and 5xx are temporary and retried with backoff.
        if (status === 400 || status === 403)
          throw new PermanentSendError(`GOV.UK Notify refused the message permanently (${status})`)
        if (status !== undefined) throw new Error(`GOV.UK Notify did not take the message (${status})`)
        throw err
      }
    },
    async close() {}
  }
}

function logMailer(log: Logger, includeSubject: boolean): Mailer {
  return {
    name: 'log',
    async send(m) {
      // The recipient is masked and the text is left out: it can carry a coordinator's free text (the
      // questions, a decline note) about the young person. Subjects quote only references.
      log.info(
        {
          notification_id: m.notificationId,
          kind: m.kind,
          to: maskEmail(m.to),
          ...(includeSubject ? { mail_subject: m.subject } : {}),
          text_length: m.body.length
        },
        'email (log transport)'
      )
      return `log:${m.notificationId}`
    },
    async close() {}
  }
}

/** SMTP when SMTP_URL is set, else GOV.UK Notify when NOTIFY_API_KEY is set, else the log. */
export function createMailer(config: Config, log: Logger): Mailer {
  if (config.SMTP_URL !== undefined)
    return smtpMailer(config.SMTP_URL, config.MAIL_FROM, Math.min(config.WORKER_CONCURRENCY, 10))
  if (config.NOTIFY_API_KEY !== undefined)
    return notifyMailer(config.NOTIFY_API_KEY, config.NOTIFY_TEMPLATE_ID as string, config.NOTIFY_BASE_URL)
  return logMailer(log, config.NODE_ENV !== 'production')
}
