import { createDatabase } from '../src/db/database.js'
import { ensureDatabase, migrateToLatest } from '../src/db/migrate.js'
import { signHs256 } from '../src/auth/dev-token.js'
import { normaliseRules } from '../src/programmes/programme-rules.js'
import { findOrganisationByCode, insertOrganisation } from '../src/organisations/organisations.repository.js'
import { insertProgramme } from '../src/programmes/programmes.repository.js'
import type { CreateProgramme } from '../src/schemas/programmes.js'
import { insertUser } from '../src/users/users.repository.js'
import { demoCasework } from './seed-demo-casework.js'
import { openServices } from './services.js'

/**
 * A demo organisation modelled on the scheme documents: Bromley's MOPAC Project and Motivating Young Minds,
 * Hertfordshire's Safe Space, and a care-leaver mentoring programme of former professionals. Safe to run twice.
 */
const { config, services } = await openServices()
await ensureDatabase(config.DATABASE_URL)
const { db } = createDatabase(config.DATABASE_URL, 2)
await migrateToLatest(db)

const CODE = 'BMI'
let org = await findOrganisationByCode(db, CODE)
if (org === undefined) {
  org = await insertOrganisation(db, { name: 'Bromley Mentoring Initiative (demo)', code: CODE })
  const programmes: Array<{ name: string; kind: CreateProgramme['kind']; description: string; rules: unknown }> = [
    {
      name: 'MOPAC Project',
      kind: 'mentoring',
      description: 'Early intervention mentoring in Bromley schools for young people aged 10 and over.',
      rules: {
        eligibility: { min_age: 10, max_age: 18, education_setting_required: true, postcode_areas: ['BR', 'SE', 'CR'] },
        consent: { parental: 'always' },
        exclusions: { max_needs_level: 'high', history_of_violence: 'review' },
        delivery: { mode: 'in_person', session_minutes: 60, sessions_per_month: 4 },
        duration_months: 12,
        evaluation_interval_months: 12,
        early_review_months: 3,
        mentor_requirements: {
          initial_training_hours: 6,
          references_required: 2,
          dbs_renewal_months: 36,
          safeguarding_training_valid_months: 12
        },
        matching: { max_distance_km: 15 }
      }
    },
    {
      name: 'Motivating Young Minds',
      kind: 'mentoring',
      description:
        'Virtual mentoring towards higher education for young people in care and care leavers in Years 11-13.',
      rules: {
        eligibility: {
          min_age: 15,
          max_age: 19,
          school_years: [11, 12, 13],
          care_statuses: ['looked_after', 'care_leaver']
        },
        consent: { parental: { under_age: 16 } },
        delivery: { mode: 'virtual', session_minutes: 60, sessions_per_month: 4 },
        duration_months: 12,
        evaluation_interval_months: 12,
        mentor_requirements: { initial_training_hours: 6, references_required: 2 }
      }
    },
    {
      name: 'Safe Space',
      kind: 'mentoring',
      description: 'About six months of weekly mentoring for 11-19 year olds (to 25 with LDD or for care leavers).',
      rules: {
        eligibility: { min_age: 11, max_age: 19, extended_max_age: 25, extended_if: ['care_leaver', 'ldd'] },
        consent: { parental: { under_age: 13 } },
        exclusions: {
          cin_plan: 'refuse',
          specialist_camhs_active: 'refuse',
          history_of_violence: 'review',
          max_needs_level: 'medium'
        },
        quotas: { per_referrer: 2, per_education_setting: 2, per_team: 5 },
        delivery: { mode: 'in_person', session_minutes: 60, sessions_per_month: 4 },
        duration_months: 6,
        evaluation_interval_months: 6,
        mentor_requirements: { initial_training_hours: 12, references_required: 2 }
      }
    },
    {
      name: 'Care Leaver Professional Mentors',
      kind: 'mentoring',
      description: 'Professionals who knew a care leaver become long-term mentors: 2-3 hours a week for two years.',
      rules: {
        eligibility: { min_age: 16, max_age: 25, care_statuses: ['care_leaver'] },
        consent: { parental: 'never' },
        delivery: { mode: 'blended', session_minutes: 150, sessions_per_month: 4 },
        duration_months: 24,
        evaluation_interval_months: 12,
        mentor_requirements: {
          initial_training_hours: 20,
          references_required: 2,
          prior_professional_gap_months: 3,
          max_prior_professional_gap_months: 6
        }
      }
    }
  ]
  for (const p of programmes) {
    await insertProgramme(db, {
      organisation_id: org.id,
      name: p.name,
      kind: p.kind,
      description: p.description,
      active: true,
      rules: normaliseRules(p.rules)
    })
  }
  await insertUser(db, {
    organisation_id: org.id,
    email: 'coordinator@bmi.example',
    name: 'Demo Coordinator',
    roles: ['coordinator'],
    subject: 'demo-coordinator'
  })
  await insertUser(db, {
    organisation_id: org.id,
    email: 'admin@bmi.example',
    name: 'Demo Admin',
    roles: ['admin'],
    subject: 'demo-admin'
  })
}

const mentorId = config.JWT_SECRET !== undefined ? await demoCasework(db, org.id, config) : null
const programmes = await db
  .selectFrom('programmes')
  .select(['id', 'name'])
  .where('organisation_id', '=', org.id)
  .orderBy('name')
  .execute()
await db.destroy()
await services.release()

if (config.JWT_SECRET === undefined) {
  process.stdout.write('JWT_SECRET is not set: get tokens from your identity provider.\n')
  process.exit(0)
}
const secret = config.JWT_SECRET
const sign = (claims: Record<string, unknown>): string =>
  signHs256(
    secret,
    {
      ...claims,
      ...(config.JWT_ISSUER !== undefined ? { iss: config.JWT_ISSUER } : {}),
      ...(config.JWT_AUDIENCE !== undefined ? { aud: config.JWT_AUDIENCE } : {})
    },
    7 * 24 * 3600
  )

const lines = [
  `Organisation: ${org.name}  id=${org.id}  code=${org.code}`,
  'Programmes:',
  ...programmes.map((p) => `  ${p.id}  ${p.name}`),
  '',
  'Tokens (valid 7 days):',
  `export PLATFORM_ADMIN_TOKEN=${sign({ sub: 'demo-platform-admin', roles: ['platform_admin'] })}`,
  `export ADMIN_TOKEN=${sign({ sub: 'demo-admin', org: org.id, roles: ['admin'], email: 'admin@bmi.example', name: 'Demo Admin' })}`,
  `export COORDINATOR_TOKEN=${sign({ sub: 'demo-coordinator', org: org.id, roles: ['coordinator'], email: 'coordinator@bmi.example', name: 'Demo Coordinator' })}`,
  `export REFERRER_TOKEN=${sign({ sub: 'demo-referrer', org: org.id, roles: ['referrer'], email: 'teacher@school.example', name: 'Demo Referrer' })}`,
  `export INTEGRATION_TOKEN=${sign({ sub: 'demo-council-system', org: org.id, roles: ['integration'] })}`,
  ...(mentorId !== null
    ? [`export MENTOR_TOKEN=${sign({ sub: 'demo-mentor', org: org.id, roles: ['mentor'], mentor_id: mentorId })}`]
    : []),
  `export PROGRAMME_ID=${programmes.find((p) => p.name === 'MOPAC Project')?.id ?? programmes[0].id}`
]
process.stdout.write(`${lines.join('\n')}\n`)
