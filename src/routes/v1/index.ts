import type { FastifyInstance } from 'fastify'
import organisationRoutes from './organisations.js'
import programmeRoutes from './programmes.js'
import referralRoutes from './referrals.js'
import notificationRoutes from './notifications.js'
import userRoutes from './users.js'
import mentorRoutes from './mentors.js'
import jobRoutes from './jobs.js'
import evaluationRoutes from './evaluations.js'
import reportRoutes from './reports.js'
import matchingRoutes from './matching.js'
import matchRoutes from './matches.js'
import concernRoutes from './safeguarding-concerns.js'
import auditEventRoutes from './audit-events.js'
import { purposeOf } from '../../audit/accessor.js'
import { deniedAccessHook } from '../../data-protection/denied-access.js'
import retentionRoutes from './retention.js'
import subjectAccessRoutes from './subject-access-requests.js'
import erasureRoutes from './erasure-requests.js'
import webhookRoutes from './webhooks.js'

/** Everything under /v1 needs a valid token; each route states the roles that may call it. */
export default async function v1Routes(app: FastifyInstance): Promise<void> {
  // Casework answers carry personal data: no browser, proxy or client cache may keep them.
  app.addHook('onRequest', (_request, reply, done) => {
    void reply.header('cache-control', 'no-store')
    done()
  })
  app.addHook('onRequest', app.authenticate)
  // A purpose too long to record is refused before anything is read.
  app.addHook('onRequest', (request, _reply, done) => {
    try {
      purposeOf(request)
      done()
    } catch (err) {
      done(err as Error)
    }
  })
  // A caller refused a young person's or a mentor's record is an event of that record's organisation.
  app.addHook('onSend', deniedAccessHook(app.db))
  await app.register(organisationRoutes)
  await app.register(programmeRoutes)
  await app.register(referralRoutes)
  await app.register(notificationRoutes)
  await app.register(userRoutes)
  await app.register(mentorRoutes)
  await app.register(jobRoutes)
  await app.register(evaluationRoutes)
  await app.register(reportRoutes)
  await app.register(matchingRoutes)
  await app.register(matchRoutes)
  await app.register(concernRoutes)
  await app.register(auditEventRoutes)
  await app.register(retentionRoutes)
  await app.register(subjectAccessRoutes)
  await app.register(erasureRoutes)
  await app.register(webhookRoutes)
}
