import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ProgrammeSummaryQuerySchema, ProgrammeSummarySchema } from '../../schemas/reports.js'
import { bearer, problems } from '../../schemas/common.js'
import { programmeSummary } from '../../reports/programme-summary.js'
import { summaryCsv } from '../../reports/csv.js'
import { findProgramme } from '../../programmes/programmes.repository.js'
import { addDays, addMonths, todayIn } from '../../lib/dates.js'
import { AppError, notFound } from '../../errors/catalogue.js'
import { audit } from '../../audit/accessor.js'

/** `csv` when the client asks for text/csv ahead of JSON, `json` for JSON or anything, null when it accepts neither. */
export function negotiate (accept: string | undefined): 'json' | 'csv' | null {
  if (accept === undefined || accept.trim() === '') return 'json'
  const ranges = accept.split(',').map((part, i) => {
    const [type, ...params] = part.trim().toLowerCase().split(';').map((p) => p.trim())
    const q = params.find((p) => p.startsWith('q='))
    return { type, q: q === undefined ? 1 : Number.parseFloat(q.slice(2)) || 0, i }
  }).filter((r) => r.q > 0).sort((a, b) => b.q - a.q || a.i - b.i)
  for (const r of ranges) {
    if (r.type === 'text/csv') return 'csv'
    if (r.type === 'application/json' || r.type === 'application/*' || r.type === '*/*') return 'json'
    if (r.type === 'text/*') return 'csv'
  }
  return null
}

export default async function reportRoutes (fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

  app.get('/reports/programme-summary', {
    config: { roles: ['coordinator', 'admin'] },
    schema: {
      tags: ['reports'], operationId: 'getProgrammeSummary', security: bearer,
      summary: 'Programme summary for funders: referrals, decisions, waiting list, matches, sessions, evaluations, outcomes',
      description: 'Referral figures describe the cohort submitted between `from` and `to` (inclusive, days reckoned in SCHEDULE_TZ); the waiting list and open matches are as of today; matches started and closed, closures within three months of starting, sessions, evaluations due and outcome distributions count what happened in the period. The evaluation completion rate is completed / due among evaluations due in the period. With `Accept: text/csv` the same figures come as CSV: one section per table (its name, a header, its rows), sections separated by an empty line, quoted as RFC 4180.',
      querystring: ProgrammeSummaryQuerySchema,
      response: {
        200: {
          description: 'The summary, as JSON or (with `Accept: text/csv`) CSV',
          content: {
            'application/json': { schema: ProgrammeSummarySchema },
            'text/csv': { schema: Type.String() }
          }
        },
        ...problems(404, 406)
      }
    }
  }, async (request, reply) => {
    const format = negotiate(request.headers.accept)
    if (format === null) throw new AppError('not_acceptable', 'This report is available as application/json or text/csv')
    const org = request.caller.org as string
    const today = todayIn(app.config.SCHEDULE_TZ)
    const to = request.query.to ?? today
    const from = request.query.from ?? addDays(addMonths(to, -12), 1)
    if (from > to) throw new AppError('validation_failed', 'The period ends before it starts', { errors: [{ path: 'query/from', message: 'must not be after to' }] })
    const programme = await findProgramme(app.db, org, request.query.programme_id)
    if (programme === undefined) throw notFound('Programme')
    const summary = await programmeSummary(app.db, { org, programmeId: programme.id, programmeName: programme.name, from, to, today, timeZone: app.config.SCHEDULE_TZ })
    // One event for the download, about the programme.
    await audit(app.db, request, [{ action: format === 'csv' ? 'export' : 'read', resourceType: 'report', resourceId: programme.id }])
    void reply.header('vary', 'accept')
    if (format === 'csv') {
      return await reply.type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="programme-summary-${from}-${to}.csv"`)
        .serializer((p: unknown) => p as string)
        .send(summaryCsv(summary))
    }
    return await reply.type('application/json; charset=utf-8').send(summary)
  })
}
