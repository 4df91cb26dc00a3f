import {
  createPostgresBackend,
  Queue,
  Worker,
  withBackend,
  type DefaultJobOptions,
  type Processor,
  type WorkerOptions
} from 'bullmq'
import { Redis, type RedisOptions } from 'ioredis'
import type pg from 'pg'
import type { Config, QueueBackendKind } from '../config/config.js'

/**
 * What the service uses of a queue: the part BullMQ's Redis and PostgreSQL queues have alike. BullMQ
 * types each queue by its backend, with no common type; this is that common type, checked against both.
 */
export type JobQueue<D> = Pick<
  Queue<D>,
  | 'name'
  | 'add'
  | 'addBulk'
  | 'upsertJobScheduler'
  | 'removeJobScheduler'
  | 'getJobSchedulers'
  | 'getJobScheduler'
  | 'getJobCountByTypes'
  | 'getJobCounts'
  | 'getJob'
  | 'getJobs'
  | 'getWaiting'
  | 'getDelayed'
  | 'getFailed'
  | 'getCompleted'
  | 'count'
  | 'remove'
  | 'clean'
  | 'drain'
  | 'obliterate'
  | 'pause'
  | 'resume'
  | 'waitUntilReady'
  | 'close'
> & {
  /** Its connection: a Redis client, or the PostgreSQL backend's settings. */
  readonly opts: { readonly connection?: unknown }
}

/** What a worker's listeners are told of a job: the fields both backends' jobs have. */
export interface JobSummary {
  id?: string
  name: string
  attemptsMade: number
}

/** What the service uses of a worker, on either backend (as JobQueue is for queues). */
export interface JobWorker<D, R = unknown> extends Pick<
  Worker<D, R>,
  'name' | 'close' | 'isRunning' | 'run' | 'waitUntilReady' | 'pause' | 'resume'
> {
  on(event: 'failed', listener: (job: JobSummary | undefined, err: Error) => void): unknown
  on(event: 'error', listener: (err: Error) => void): unknown
}

/**
 * The one place that knows where the queues live. Every queue and worker of the service is made
 * here, on Redis or on BullMQ's PostgreSQL backend (config.queueBackend, chosen in
 * config/services.ts); the rest of the code sees plain BullMQ queues and workers.
 */
export interface QueueBackend {
  readonly kind: QueueBackendKind
  /** A queue to add jobs to. The queues of one backend share its producer connection. */
  queue: <D>(name: string, defaultJobOptions: DefaultJobOptions) => JobQueue<D>
  /** A worker on a connection of its own, closed with it. */
  worker: <D, R = unknown>(
    name: string,
    processor: Processor<D, R>,
    options: Omit<WorkerOptions, 'connection' | 'prefix'>
  ) => JobWorker<D, R>
  /** Resolves when the backend answers now; for readiness. */
  ping: () => Promise<void>
  /**
   * True once after the backend lost what it held (a Redis restarted empty): the jobs of waiting
   * messages and the job schedulers are gone. Redis keeps a marker key for it; PostgreSQL never loses them.
   */
  lostData: () => Promise<boolean>
  /** Closes what the backend opened for its queues (close the queues and workers first). */
  close: () => Promise<void>
}

/** Producer connection: fails fast when Redis is down, so a request never waits on it. */
export function createProducerConnection(url: string): Redis {
  const options: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    lazyConnect: true,
    retryStrategy: (times) => Math.min(times * 200, 2000)
  }
  const redis = new Redis(url, options)
  redis.on('error', () => {})
  return redis
}

/** Worker connection: BullMQ requires blocking commands to wait for Redis indefinitely. */
export function createWorkerConnection(url: string): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(times * 200, 2000)
  })
  redis.on('error', () => {})
  return redis
}

/** The PostgreSQL schema of a queue prefix: the backend's namespace, as the prefix is in Redis. */
export function queueSchema(prefix: string): string {
  return `bullmq_${prefix.replace(/[^A-Za-z0-9_]/g, '_')}`.slice(0, 63)
}

function redisBackend(config: Config): QueueBackend {
  const producer = createProducerConnection(config.REDIS_URL)
  producer.connect().catch(() => {
    /* retried by ioredis; readiness reports it */
  })
  const workerConnections: Redis[] = []
  const marker = `${config.QUEUE_PREFIX}:backend-marker`
  let marked = false
  return {
    kind: 'redis',
    queue: <D>(name: string, defaultJobOptions: DefaultJobOptions) => {
      const queue = new Queue<D>(name, { connection: producer, prefix: config.QUEUE_PREFIX, defaultJobOptions })
      queue.on('error', () => {})
      return queue
    },
    worker: <D, R>(name: string, processor: Processor<D, R>, options: Omit<WorkerOptions, 'connection' | 'prefix'>) => {
      // BullMQ leaves a connection it was given open on close; close() below ends it.
      const connection = createWorkerConnection(config.REDIS_URL)
      workerConnections.push(connection)
      return new Worker<D, R>(name, processor, { ...options, connection, prefix: config.QUEUE_PREFIX })
    },
    ping: async () => {
      await producer.ping()
    },
    lostData: async () => {
      if (producer.status !== 'ready') return false
      // Set only when missing: the first call of a process marks a new Redis, a later success means
      // the marker, and every job with it, went away. With several workers, one of them sees it.
      const set = await producer.set(marker, new Date().toISOString(), 'NX')
      const lost = set === 'OK' && marked
      marked = true
      return lost
    },
    close: async () => {
      for (const c of workerConnections) c.disconnect()
      producer.disconnect()
    }
  }
}

/**
 * BullMQ's PostgreSQL backend memoizes its first connection and schema check, a failure included:
 * a queue made while PostgreSQL was unreachable (starting, or slow on a loaded machine) would stay
 * broken for good. Forgetting a failed start lets the next operation try again, as Redis does.
 */
interface Startable {
  waitUntilReady?: unknown
  readyPromise?: unknown
}

function retryFailedStart(target: unknown): void {
  const backend = (target as { backend?: Startable & { connection?: Startable } }).backend
  for (const part of [backend?.connection, backend]) {
    if (part === undefined || typeof part.waitUntilReady !== 'function') continue
    const waitUntilReady = part.waitUntilReady.bind(part) as () => Promise<void>
    part.waitUntilReady = async () => {
      try {
        await waitUntilReady()
      } catch (err) {
        part.readyPromise = undefined
        throw err
      }
    }
  }
}

/**
 * A client the backend's pool has checked out (for its start-up migration, or a query) that loses
 * its connection emits 'error' with no listener: an uncaught exception, which would end the process
 * when PostgreSQL restarts. The query it ran fails anyway and is retried like any other; the pool
 * drops the broken client.
 */
function guardCheckedOutClients(target: unknown): void {
  const pool = (target as { backend?: { connection?: { pool?: pg.Pool } } }).backend?.connection?.pool
  pool?.on('connect', (client) => {
    client.on('error', () => {})
  })
}

function postgresBackend(config: Config): QueueBackend {
  const Pg = withBackend(createPostgresBackend)
  const schema = queueSchema(config.QUEUE_PREFIX)
  // Each queue and worker gets a small pool of its own (the backend owns it and closes it with the
  // queue); `migrate` creates or updates the backend's tables in the schema, once, under a lock.
  const connection = (
    max: number
  ): {
    connectionString: string
    schema: string
    migrate: boolean
    max: number
    connectionTimeoutMillis: number
    idleTimeoutMillis: number
    application_name: string
  } => ({
    connectionString: config.DATABASE_URL,
    schema,
    migrate: true,
    max,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 60_000,
    application_name: 'waymark queues'
  })
  const queues: Array<Pick<JobQueue<unknown>, 'getJobCountByTypes'>> = []
  return {
    kind: 'postgres',
    queue: <D>(name: string, defaultJobOptions: DefaultJobOptions) => {
      const pgQueue = new Pg.Queue<D>(name, {
        connection: connection(4),
        prefix: config.QUEUE_PREFIX,
        defaultJobOptions
      })
      pgQueue.on('error', () => {})
      guardCheckedOutClients(pgQueue)
      retryFailedStart(pgQueue)
      // Connect and check the schema now rather than on the first job a request adds.
      pgQueue.waitUntilReady().catch(() => {})
      queues.push(pgQueue)
      return pgQueue
    },
    worker: <D, R>(name: string, processor: Processor<D, R>, options: Omit<WorkerOptions, 'connection' | 'prefix'>) => {
      const worker = new Pg.Worker<D, R>(name, processor, {
        ...options,
        connection: connection((options.concurrency ?? 1) + 2),
        prefix: config.QUEUE_PREFIX
      })
      guardCheckedOutClients(worker)
      retryFailedStart(worker)
      return worker
    },
    ping: async () => {
      // Every queue this process made: each has its own connections and schema check.
      if (queues.length === 0) throw new Error('no queue to check')
      await Promise.all(queues.map(async (q) => await q.getJobCountByTypes('waiting')))
    },
    lostData: async () => false,
    close: async () => {}
  }
}

export function createQueueBackend(config: Config): QueueBackend {
  return config.queueBackend === 'postgres' ? postgresBackend(config) : redisBackend(config)
}
