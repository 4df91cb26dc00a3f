import type { LoggerOptions } from 'pino'

const EMAIL = /[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+/g

/** Removes email addresses from text that may quote them (a mail server's refusal, a driver error). */
export function scrubText(text: string): string {
  return text.replace(EMAIL, '[email]')
}

/**
 * Errors keep their type, code, message and stack, with addresses scrubbed. Driver extras are left
 * out: a PostgreSQL error's `detail` can quote a whole failing row.
 */
export function serializeError(err: unknown): unknown {
  if (err === null || typeof err !== 'object') return err
  const e = err as {
    name?: string
    message?: unknown
    code?: unknown
    statusCode?: unknown
    stack?: unknown
    constraint?: unknown
  }
  return {
    type: e.name ?? 'Error',
    message: scrubText(String(e.message ?? '')),
    ...(typeof e.code === 'string' || typeof e.code === 'number' ? { code: e.code } : {}),
    ...(typeof e.statusCode === 'number' ? { statusCode: e.statusCode } : {}),
    ...(typeof e.constraint === 'string' ? { constraint: e.constraint } : {}),
    ...(typeof e.stack === 'string' ? { stack: scrubText(e.stack) } : {})
  }
}

/**
 * Log options shared by the API and the workers. Personal data never reaches the logs: request
 * bodies are not logged, and these paths are censored wherever they appear.
 */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        '*.young_person',
        '*.referrer',
        '*.consent',
        '*.needs',
        '*.email',
        '*.postcode',
        '*.given_name',
        '*.family_name',
        '*.date_of_birth',
        '*.recipient',
        '*.notes',
        '*.body'
      ],
      censor: '[redacted]'
    },
    serializers: {
      err: serializeError,
      req: (req: { method: string; url: string; id?: string }) => ({ method: req.method, url: req.url.split('?')[0] }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode })
    }
  }
}
