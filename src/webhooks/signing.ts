import { createHmac, randomBytes } from 'node:crypto'

/** Standard Webhooks secrets: `whsec_` and the base64 of the HMAC key. */
export const SECRET_PREFIX = 'whsec_'
export const SECRET_PATTERN = '^whsec_[A-Za-z0-9+/]{32,88}={0,2}$'
const SECRET_BYTES = 32

export function newSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`
}

/** The HMAC key of a secret: 24 to 64 bytes, or undefined when the secret is not a Standard Webhooks one. */
export function secretKey(secret: string): Buffer | undefined {
  if (!new RegExp(SECRET_PATTERN).test(secret)) return undefined
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64')
  return key.length >= 24 && key.length <= 64 ? key : undefined
}

/** `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` for one secret. */
export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = secretKey(secret)
  if (key === undefined) throw new Error('not a webhook secret')
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`
}

/** The `webhook-signature` header: one signature per secret that signs now, space-separated. */
export function signatureHeader(secrets: string[], id: string, timestamp: number, body: string): string {
  return secrets.map((s) => sign(s, id, timestamp, body)).join(' ')
}
