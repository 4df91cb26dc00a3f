import type { LoggerOptions } from 'pino'

/**
 * Log options shared by the API and the workers. Personal data never reaches the logs: request
 * bodies are not logged, and these paths are censored wherever they appear.
 */
export function loggerOptions (level: string): LoggerOptions {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization', 'req.headers.cookie', 'headers.authorization',
        '*.young_person', '*.referrer', '*.consent', '*.needs', '*.email', '*.postcode',
        '*.given_name', '*.family_name', '*.date_of_birth', '*.recipient', '*.notes', '*.body'
      ],
      censor: '[redacted]'
    },
    serializers: {
      req: (req: { method: string, url: string, id?: string }) => ({ method: req.method, url: req.url.split('?')[0] }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode })
    }
  }
}
