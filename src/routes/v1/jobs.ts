import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type, type Static } from 'typebox'
import { bearer, Instant, ListQueryFields, Page, problems, Uuid, Nullable } from '../../schemas/common.js'
import { AppError, notFound } from '../../errors/catalogue.js'
import { todayIn } from '../../lib/dates.js'
import type { JobRunRow } from '../../db/types.js'
import { isScheduledJob, scheduledJobs } from '../../jobs/scheduled/registry.js'
import { failRun, findRun, insertRun, listRuns } from '../../jobs/scheduled/job-runs.repository.js'
import { decodeCursor, pageOf } from '../../lib/cursor.js'

export const JobRunSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  status: Type.Enum(['queued', 'running', 'succeeded', 'failed']),
  as_of: Type.String({ format: 'date', description: 'The local day (SCHEDULE_TZ) the run judged' }),
  as_of_instant: Nullable(
    Type.String({
      format: 'date-time',
      description:
        'The instant the run judged (what was due by then): the one asked for, else the start of `as_of`, or when a scheduled run fired'
    })
  ),
  trigger: Type.Enum(['api', 'schedule']),
  counts: Type.Record(Type.String(), Type.Integer()),
  error: Nullable(Type.String()),
  started_at: Nullable(Instant),
  finished_at: Nullable(Instant),
  created_at: Instant,
  updated_at: Instant
})

const RunJobParams = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z0-9-]+$' }) },
  { additionalProperties: false }
)
const AS_OF_PATTERN = '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2}))?$'

/** The instant `as_of` names (null for a day alone), refusing a day or time that does not exist. */
function instantOf(asOf: string): Date | null {
  const [y, m, d] = asOf
    .slice(0, 10)
    .split('-')
    .map((n) => Number.parseInt(n, 10))
  const day = new Date(Date.UTC(y, m - 1, d))
  const instant = asOf.length > 10 ? new Date(asOf) : null
  if (day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d || (instant !== null && Number.isNaN(instant.getTime()))) {
    throw new AppError('validation_failed', 'body/as_of is not a real day or instant', {
      errors: [{ path: 'body/as_of', message: 'must be a real date (YYYY-MM-DD) or RFC 3339 instant' }]
    })
  }
  return instant
}

const RunJobBody = Type.Object(
  {
    as_of: Type.Optional(
      Type.String({
        pattern: AS_OF_PATTERN,
        description:
          'What to run for (default now): a day (`YYYY-MM-DD`: that local day in SCHEDULE_TZ, and what was due by its start) or an RFC 3339 instant (that instant and its local day); operators backfill with it'
      })
    )
  },
  { additionalProperties: false }
)
const RunParams = Type.Object({ run_id: Uuid }, { additionalProperties: false })
const ListRunsQuery = Type.Object(
  {
    ...ListQueryFields,
    name: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z0-9-]+$', description: 'Only runs of this job' })
    ),
    status: Type.Optional(
      Type.Enum(['queued', 'running', 'succeeded', 'failed'], { description: 'Only runs in this status' })
    )
  },
  { additionalProperties: false }
)

const iso = (d: Date | null): string | null => (d === null ? null : new Date(d).toISOString())
function toRun(r: JobRunRow): Static<typeof JobRunSchema> {
  return {
    id: r.id,
    name: r.name,
    status: r.status as 'queued',
    as_of: r.as_of,
    as_of_instant: iso(r.as_of_instant),
    trigger: r.trigger as 'api',
    counts: r.counts,
    error: r.error,
    started_at: iso(r.started_at),
    finished_at: iso(r.finished_at),
    created_at: iso(r.created_at) as string,
    updated_at: iso(r.updated_at) as string
  }
}

/** Scheduled jobs on demand. A run from the API covers the caller's organisation only; the daily schedule covers all. */
export default async function jobRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const queue = app.queues['scheduled-jobs']

  app.post(
    '/jobs/:name/runs',
    {
      config: { roles: ['admin'] },
      // The body is optional: no body runs for today.
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {}
      },
      schema: {
        tags: ['jobs'],
        operationId: 'runJob',
        security: bearer,
        summary: 'Run a scheduled job now, for your organisation',
        description: `Queues a run and answers 202 with it; follow it at \`/v1/jobs/runs/{run_id}\`. Jobs: ${Object.keys(scheduledJobs).join(', ')}. A run judges the day \`as_of\` (default today in SCHEDULE_TZ) or, given an instant, that instant and its local day; \`safeguarding-deadlines\` escalates what was due by the instant. Each alert is sent once however often, or however concurrently, a job runs.`,
        params: RunJobParams,
        body: RunJobBody,
        response: { 202: JobRunSchema, ...problems(404, 503) }
      }
    },
    async (request, reply) => {
      const name = request.params.name
      if (!isScheduledJob(name)) throw notFound('Job')
      const given = request.body.as_of
      const instant = given === undefined ? new Date() : instantOf(given)
      const asOf = instant === null ? (given as string) : todayIn(app.config.SCHEDULE_TZ, instant)
      const run = await insertRun(
        app.db,
        {
          name,
          organisation_id: request.caller.org as string,
          as_of: asOf,
          trigger: 'api',
          requested_by: request.caller.sub
        },
        { instant, timeZone: app.config.SCHEDULE_TZ }
      )
      try {
        await queue.add(name, { name, run_id: run.id }, { jobId: run.id })
      } catch (err) {
        request.log.warn({ err: { message: (err as Error).message } }, 'could not queue the job run')
        await failRun(app.db, run.id, 'The job queue was unavailable; request the run again')
        throw new AppError('service_unavailable', 'The job queue is unavailable; retry shortly', {
          headers: { 'retry-after': '5' }
        })
      }
      return await reply.code(202).header('location', `/v1/jobs/runs/${run.id}`).send(toRun(run))
    }
  )

  app.get(
    '/jobs/runs',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['jobs'],
        operationId: 'listJobRuns',
        security: bearer,
        summary: 'The runs of scheduled jobs for your organisation, newest first',
        description: 'Runs requested through the API for your organisation. Filters: `name`, `status`.',
        querystring: ListRunsQuery,
        response: { 200: Page(JobRunSchema), ...problems() }
      }
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query
      const rows = await listRuns(app.db, request.caller.org as string, filter, decodeCursor(cursor), limit)
      const page = pageOf(rows, limit)
      return { data: page.rows.map(toRun), next_cursor: page.next }
    }
  )

  app.get(
    '/jobs/runs/:run_id',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['jobs'],
        operationId: 'getJobRun',
        security: bearer,
        summary: 'A run of a scheduled job, with its counts',
        params: RunParams,
        response: { 200: JobRunSchema, ...problems(404) }
      }
    },
    async (request) => {
      const run = await findRun(app.db, request.params.run_id, request.caller.org as string)
      if (run === undefined) throw notFound('Job run')
      return toRun(run)
    }
  )
}
