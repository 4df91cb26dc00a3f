import type { FastifyInstance, FastifyReply } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ProgrammeSummaryQuerySchema, ProgrammeSummarySchema } from '../../schemas/reports.js'
import { bearer, problems } from '../../schemas/common.js'
import { SECTIONS } from '../../reports/csv.js'
import { programmeSummary } from '../../reports/programme-summary.repository.js'
import { sectionCsv, summaryCsv, summarySections } from '../../reports/csv.js'
import { workbook } from '../../reports/xlsx.js'
import { findProgramme } from '../../programmes/programmes.repository.js'
import { addDays, addMonths, todayIn } from '../../lib/dates.js'
import { AppError, notFound } from '../../errors/catalogue.js'
import { audit } from '../../audit/accessor.js'

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

/** The format the client prefers: `csv` for text/csv, `xlsx` for a workbook, `json` for JSON or anything, null when it accepts none. */
export function negotiate(accept: string | undefined): 'json' | 'csv' | 'xlsx' | null {
  if (accept === undefined || accept.trim() === '') return 'json'
  const ranges = accept
    .split(',')
    .map((part, i) => {
      const [type, ...params] = part
        .trim()
        .toLowerCase()
        .split(';')
        .map((p) => p.trim())
      const q = params.find((p) => p.startsWith('q='))
      return { type, q: q === undefined ? 1 : Number.parseFloat(q.slice(2)) || 0, i }
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i)
  for (const r of ranges) {
    if (r.type === 'text/csv') return 'csv'
    if (r.type === XLSX_TYPE) return 'xlsx'
    if (r.type === 'application/json' || r.type === 'application/*' || r.type === '*/*') return 'json'
    if (r.type === 'text/*') return 'csv'
  }
  return null
}

const DESCRIPTION =
  'Referral figures describe the cohort submitted between `from` and `to` (inclusive, days reckoned in SCHEDULE_TZ); the waiting list and open matches are as of today; matches started and closed, closures within three months of starting, sessions, evaluations due and outcome distributions count what happened in the period. The evaluation completion rate is completed / due among evaluations due in the period. With `Accept: text/csv` the same figures come as CSV, quoted as RFC 4180: with `?section=` that one section as a plain table (a header, then its rows); without it every section in one file (each its name, a header, its rows), separated by an empty line. With `Accept: ' +
  XLSX_TYPE +
  '`, one workbook with a sheet per section. Sections: ' +
  SECTIONS.join(', ') +
  ' (`outcomes` holds the mean of each measure).'

export default async function reportRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

  app.get(
    '/reports/programme-summary',
    {
      config: { roles: ['coordinator', 'admin'] },
      schema: {
        tags: ['reports'],
        operationId: 'getProgrammeSummary',
        security: bearer,
        summary:
          'Programme summary for funders: referrals, decisions, waiting list, matches, sessions, evaluations, outcomes',
        description: DESCRIPTION,
        querystring: ProgrammeSummaryQuerySchema,
        response: {
          200: {
            description: 'The summary, as JSON, CSV (`Accept: text/csv`) or an XLSX workbook',
            content: {
              'application/json': { schema: ProgrammeSummarySchema },
              'text/csv': { schema: Type.String() },
              [XLSX_TYPE]: { schema: Type.String({ contentEncoding: 'binary' }) }
            }
          },
          ...problems(404, 406)
        }
      }
    },
    async (request, reply) => {
      const format = negotiate(request.headers.accept)
      if (format === null)
        throw new AppError('not_acceptable', `This report is available as application/json, text/csv or ${XLSX_TYPE}`)
      if (request.query.section !== undefined && format !== 'csv') {
        throw new AppError('validation_failed', 'A section is chosen for CSV only', {
          errors: [{ path: 'query/section', message: 'applies with Accept: text/csv only' }]
        })
      }
      const org = request.caller.org as string
      const today = todayIn(app.config.SCHEDULE_TZ)
      const to = request.query.to ?? today
      const from = request.query.from ?? addDays(addMonths(to, -12), 1)
      if (from > to)
        throw new AppError('validation_failed', 'The period ends before it starts', {
          errors: [{ path: 'query/from', message: 'must not be after to' }]
        })
      const programme = await findProgramme(app.db, org, request.query.programme_id)
      if (programme === undefined) throw notFound('Programme')
      const summary = await programmeSummary(app.db, {
        org,
        programmeId: programme.id,
        programmeName: programme.name,
        from,
        to,
        today,
        timeZone: app.config.SCHEDULE_TZ
      })
      // One event for the download, about the programme.
      await audit(app.db, request, [
        { action: format === 'csv' ? 'export' : 'read', resourceType: 'report', resourceId: programme.id }
      ])
      void reply.header('vary', 'accept')
      const section = request.query.section
      if (format === 'csv') {
        return await reply
          .type('text/csv; charset=utf-8')
          .header(
            'content-disposition',
            `attachment; filename="programme-summary-${from}-${to}${section === undefined ? '' : `-${section}`}.csv"`
          )
          .serializer((p: unknown) => p as string)
          .send(section === undefined ? summaryCsv(summary) : sectionCsv(summary, section))
      }
      if (format === 'xlsx') {
        // A Buffer goes out as it is, never through the JSON response schema.
        const binary: FastifyReply = reply
        return await binary
          .type(XLSX_TYPE)
          .header('content-disposition', `attachment; filename="programme-summary-${from}-${to}.xlsx"`)
          .send(workbook(summarySections(summary)))
      }
      return await reply.type('application/json; charset=utf-8').send(summary)
    }
  )
}
