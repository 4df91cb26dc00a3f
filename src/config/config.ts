import { Type, type Static } from 'typebox'
import { Value } from 'typebox/value'
import { parseDuration } from '../lib/durations.js'

/** Every setting the service reads. Nothing else in the code reads process.env. */
const EnvSchema = Type.Object({
  NODE_ENV: Type.Enum(['development', 'test', 'production'], { default: 'development' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  // Unset: the local server if one answers, else (EMBEDDED=auto) an embedded PostgreSQL; see services.ts.
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 200, default: 16 }),
  // The longest an API query may run; a server that gives no answer a second later is treated as down.
  DATABASE_QUERY_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600000, default: 7000 }),
  // At start-up, how long PostgreSQL may take to answer (down, starting, frozen) before the process gives up.
  DATABASE_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 0, maximum: 3600000, default: 60000 }),
  // Unset: the local Redis if one answers, else (EMBEDDED=auto) the queues run on PostgreSQL.
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  /** `auto`: with nothing installed, an embedded PostgreSQL and queues on PostgreSQL. Production: never. */
  EMBEDDED: Type.Enum(['auto', 'never'], { default: 'auto' }),
  /** Where the embedded PostgreSQL keeps its cluster and password. */
  WAYMARK_DATA_DIR: Type.String({ minLength: 1, default: '.waymark' }),
  QUEUE_PREFIX: Type.String({ pattern: '^[a-zA-Z0-9:_-]+$', default: 'waymark' }),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  JWT_JWKS_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  JWT_ISSUER: Type.Optional(Type.String({ minLength: 1 })),
  JWT_AUDIENCE: Type.Optional(Type.String({ minLength: 1 })),
  // The longest lifetime (exp - iat) a token may have: `8h`, `90m`, or seconds.
  JWT_MAX_AGE: Type.String({ minLength: 1, default: '12h' }),
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  MAIL_FROM: Type.String({ minLength: 3, default: 'Waymark <no-reply@waymark.local>' }),
  NOTIFY_API_KEY: Type.Optional(Type.String({ minLength: 10 })),
  NOTIFY_TEMPLATE_ID: Type.Optional(Type.String({ minLength: 1 })),
  NOTIFY_BASE_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  SCHEDULE_TZ: Type.String({ minLength: 1, default: 'Europe/London' }),
  SCHEDULE_TIME: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', default: '06:00' }),
  CORS_ORIGINS: Type.String({ default: '' }),
  RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 1200 }),
  RATE_LIMIT_WINDOW: Type.String({ default: '1 minute' }),
  OUTBOX_POLL_MS: Type.Integer({ minimum: 50, default: 2000 }),
  WORKER_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 100, default: 8 }),
  /** A postcodes.io-compatible server; unset, distances are estimated from shared postcode parts. */
  GEOCODER_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  HEALTH_FILE: Type.Optional(Type.String({ minLength: 1 })),
  // First retry delay of a failed send; each further retry waits twice as long.
  NOTIFICATION_BACKOFF_MS: Type.Integer({ minimum: 10, default: 1000 }),
  // How long a job held by a worker that died waits before another worker takes it over.
  WORKER_LOCK_MS: Type.Integer({ minimum: 500, default: 30000 }),
  // How often the worker checks that the daily job schedulers are in the queue backend, setting again any missing.
  SCHEDULER_CHECK_MS: Type.Integer({ minimum: 1000, maximum: 86_400_000, default: 180_000 }),
  // The bearer token Prometheus scrapes GET /metrics with; unset, /metrics is not served.
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16, maxLength: 500 })),
  // Back-pressure: past either threshold the API answers 503 with Retry-After (0 turns a check off).
  PRESSURE_MAX_EVENT_LOOP_DELAY_MS: Type.Integer({ minimum: 0, default: 1000 }),
  // Unset: 90% of the V8 heap limit.
  PRESSURE_MAX_HEAP_USED_MB: Type.Optional(Type.Integer({ minimum: 0 })),
  // Seconds after a failed webhook attempt before each retry (N entries: N retries), jittered.
  WEBHOOK_RETRY_SCHEDULE: Type.String({
    pattern: '^\\s*\\d+(\\.\\d+)?\\s*(,\\s*\\d+(\\.\\d+)?\\s*)*$',
    default: '5,300,1800,7200,18000,36000,36000'
  }),
  // A webhook attempt without a 2xx answer within this time has failed.
  WEBHOOK_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 120000, default: 15000 }),
  // Lets webhook URLs reach loopback, private and link-local addresses (development and tests only).
  WEBHOOK_ALLOW_PRIVATE: Type.Boolean({ default: false })
})

type Env = Static<typeof EnvSchema>

export const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/waymark'
export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379'

export type QueueBackendKind = 'redis' | 'postgres'

export interface Config extends Omit<
  Env,
  'CORS_ORIGINS' | 'RATE_LIMIT_WINDOW' | 'JWT_MAX_AGE' | 'DATABASE_URL' | 'REDIS_URL' | 'WEBHOOK_RETRY_SCHEDULE'
> {
  /** Seconds before each retry of a failed webhook delivery. */
  WEBHOOK_RETRY_SCHEDULE: number[]
  CORS_ORIGINS: string[]
  /** Milliseconds. */
  RATE_LIMIT_WINDOW: number
  /** Seconds. */
  JWT_MAX_AGE: number
  /** The database in use: as set, or the local server's until services.ts chooses otherwise. */
  DATABASE_URL: string
  REDIS_URL: string
  /** Where the queues live: Redis, or PostgreSQL (BullMQ's PostgreSQL backend on DATABASE_URL). */
  queueBackend: QueueBackendKind
  /** Which of DATABASE_URL and REDIS_URL were set rather than defaulted. */
  given: { DATABASE_URL: boolean; REDIS_URL: boolean }
}

const MAX_TOKEN_LIFETIME_MS = 30 * 86_400_000

/** A development secret that must never reach production. */
export const DEVELOPMENT_JWT_SECRET = 'waymark-development-secret-change-me-000000'

export class ConfigError extends Error {}

/**
 * Reads and validates the environment once. Throws a ConfigError naming every bad setting.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const input: Record<string, unknown> = {}
  for (const key of Object.keys(EnvSchema.properties)) {
    const raw = env[key]
    if (raw !== undefined && raw !== '') input[key] = raw
  }
  const withDefaults = Value.Default(EnvSchema, input) as Record<string, unknown>
  const converted = Value.Convert(EnvSchema, withDefaults)
  const problems = [...Value.Errors(EnvSchema, converted)].map((e) => {
    const name =
      String(e.instancePath ?? '').replace(/^\//, '') ||
      String((e as { params?: { requiredProperties?: string[] } }).params?.requiredProperties?.[0] ?? '')
    return `${name}: ${e.message}`
  })
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`)
  }
  const cfg = converted as Env
  if (!isValidTimeZone(cfg.SCHEDULE_TZ)) {
    throw new ConfigError(`Invalid configuration: SCHEDULE_TZ: unknown time zone "${cfg.SCHEDULE_TZ}"`)
  }
  const window = parseDuration(cfg.RATE_LIMIT_WINDOW)
  if (window === undefined) {
    throw new ConfigError(
      `Invalid configuration: RATE_LIMIT_WINDOW: "${cfg.RATE_LIMIT_WINDOW}" is not a duration (e.g. "1 minute", "30s", or milliseconds)`
    )
  }
  const maxAge = parseDuration(cfg.JWT_MAX_AGE, 1000)
  if (maxAge === undefined || maxAge < 60_000 || maxAge > MAX_TOKEN_LIFETIME_MS) {
    throw new ConfigError(
      `Invalid configuration: JWT_MAX_AGE: "${cfg.JWT_MAX_AGE}" is not a duration from 1 minute to 30 days (e.g. "8h", "90m", or seconds)`
    )
  }
  if (cfg.NODE_ENV === 'production') {
    if (env.EMBEDDED === 'auto') {
      throw new ConfigError(
        'Invalid configuration: EMBEDDED=auto is not allowed when NODE_ENV=production (production uses real servers)'
      )
    }
    cfg.EMBEDDED = 'never'
    if (cfg.JWT_SECRET === undefined && cfg.JWT_JWKS_URL === undefined) {
      throw new ConfigError('Invalid configuration: JWT_SECRET or JWT_JWKS_URL is required when NODE_ENV=production')
    }
    if (cfg.JWT_SECRET === DEVELOPMENT_JWT_SECRET) {
      throw new ConfigError('Invalid configuration: JWT_SECRET is the development secret, which production refuses')
    }
  } else if (cfg.JWT_SECRET === undefined && cfg.JWT_JWKS_URL === undefined) {
    cfg.JWT_SECRET = DEVELOPMENT_JWT_SECRET
  }
  if (cfg.JWT_JWKS_URL !== undefined && (cfg.JWT_ISSUER === undefined || cfg.JWT_AUDIENCE === undefined)) {
    throw new ConfigError('Invalid configuration: JWT_ISSUER and JWT_AUDIENCE are required with JWT_JWKS_URL')
  }
  if (cfg.NOTIFY_API_KEY !== undefined && cfg.NOTIFY_TEMPLATE_ID === undefined) {
    throw new ConfigError(
      'Invalid configuration: NOTIFY_TEMPLATE_ID is required with NOTIFY_API_KEY (a template with ((subject)) and ((body)) fields)'
    )
  }
  return {
    ...cfg,
    DATABASE_URL: cfg.DATABASE_URL ?? LOCAL_DATABASE_URL,
    REDIS_URL: cfg.REDIS_URL ?? LOCAL_REDIS_URL,
    queueBackend: 'redis',
    given: { DATABASE_URL: cfg.DATABASE_URL !== undefined, REDIS_URL: cfg.REDIS_URL !== undefined },
    CORS_ORIGINS: cfg.CORS_ORIGINS.split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
    RATE_LIMIT_WINDOW: window,
    JWT_MAX_AGE: Math.floor(maxAge / 1000),
    WEBHOOK_RETRY_SCHEDULE: cfg.WEBHOOK_RETRY_SCHEDULE.split(',').map((s) => Number.parseFloat(s.trim()))
  }
}

function isValidTimeZone(tz: string): boolean {
  try {
    Intl.DateTimeFormat('en-GB', { timeZone: tz })
    return true
  } catch {
    return false
  }
}
