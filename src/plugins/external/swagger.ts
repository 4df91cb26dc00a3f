import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { refineOpenApi, type OpenApiObject } from '../../lib/openapi-document.js'

export default fp(
  async function swaggerPlugin(app: FastifyInstance) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Waymark API',
          version: '1.0.0',
          description:
            'Casework for youth mentoring schemes: referrals, mentors, matches and evaluations. Errors are RFC 9457 problem+json.',
          license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
          contact: { name: 'Waymark operators', email: 'operators@waymark.example' }
        },
        servers: [{ url: '/', description: 'The server that serves this document' }],
        components: {
          securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }
        },
        security: [{ bearerAuth: [] }],
        tags: [
          { name: 'health', description: 'Liveness and readiness' },
          { name: 'organisations', description: 'Tenants' },
          { name: 'programmes', description: 'Schemes and their rules' },
          { name: 'referrals', description: 'Referral intake, screening and lifecycle' },
          { name: 'notifications', description: 'Messages the service sent or tried to' },
          { name: 'users', description: 'Staff directory: who receives alerts' },
          { name: 'mentors', description: 'Mentor recruitment, vetting records and derived compliance' },
          { name: 'jobs', description: 'Scheduled jobs: run one now, and see its counts' },
          { name: 'evaluations', description: 'Evaluation schedule, outcome measures and reminders' },
          { name: 'reports', description: 'Programme outcome reporting for funders and assessors' },
          {
            name: 'matching',
            description: 'Mentor suggestions for a referral, and optimal plans for a whole programme'
          },
          { name: 'matches', description: 'Matches, their lifecycle, sessions and goals' },
          {
            name: 'safeguarding',
            description: 'Safeguarding concerns: raised, alerted at once, followed up, never edited'
          },
          {
            name: 'audit',
            description:
              "Access events: who read or changed a young person's or a mentor's record, and why (`X-Access-Purpose`)"
          },
          {
            name: 'data-protection',
            description: 'Retention, legal holds, subject access and erasure (UK GDPR, DPA 2018)'
          },
          {
            name: 'webhooks',
            description: 'Webhook endpoints (Standard Webhooks 1.0), their delivery log and redelivery'
          }
        ]
      },
      transformObject: (document) => refineOpenApi((document as { openapiObject: OpenApiObject }).openapiObject),
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`)
      }
    })
    await app.register(swaggerUi, {
      routePrefix: '/docs',
      // Swagger UI loads its scripts and styles from /docs/static and the document from /docs/json;
      // no third-party origin (the online validator badge is off).
      uiConfig: { validatorUrl: null },
      staticCSP: {
        'default-src': ["'self'"],
        'base-uri': ["'self'"],
        'connect-src': ["'self'"],
        'font-src': ["'self'", 'data:'],
        'form-action': ["'self'"],
        'frame-ancestors': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'object-src': ["'none'"],
        'script-src': ["'self'"],
        'script-src-attr': ["'none'"],
        'style-src': ["'self'"]
      }
    })
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  },
  { name: 'swagger' }
)
