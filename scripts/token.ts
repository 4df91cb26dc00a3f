import { parseArgs } from 'node:util'
import { randomUUID } from 'node:crypto'
import { createDatabase } from '../src/db/database.js'
import { findOrganisation, findOrganisationByCode } from '../src/organisations/organisations.repository.js'
import { signHs256 } from '../src/auth/dev-token.js'
import { ROLES, type Role } from '../src/auth/roles.js'
import { openServices } from './services.js'

/**
 * npm run token -- --role coordinator --org <id or code> [--sub id] [--mentor <id>] [--email e] [--hours 12]
 * The organisation (and mentor) is looked up in the database the service uses, so that the token is
 * good for the server actually running: the embedded one when that is what `npm start` chose.
 */
const { values } = parseArgs({
  options: {
    role: { type: 'string', multiple: true },
    org: { type: 'string' },
    sub: { type: 'string' },
    mentor: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    hours: { type: 'string', default: '12' }
  }
})
const roles = (values.role ?? []) as Role[]
if (roles.length === 0 || roles.some((r) => !(ROLES as readonly string[]).includes(r))) {
  process.stderr.write(`--role is required, one or more of: ${ROLES.join(', ')}\n`)
  process.exit(2)
}
if (values.org === undefined && !roles.every((r) => r === 'platform_admin')) {
  process.stderr.write('--org <organisation id> is required for every role but platform_admin\n')
  process.exit(2)
}
const { config, services } = await openServices()
if (config.JWT_SECRET === undefined) {
  process.stderr.write('JWT_SECRET is not set: tokens come from your identity provider\n')
  await services.release()
  process.exit(2)
}
const refusal = await (async (): Promise<string | null> => {
  if (values.org === undefined) return null
  const { db } = createDatabase(config.DATABASE_URL, 1)
  try {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(values.org)
    const org = uuid
      ? await findOrganisation(db, values.org)
      : await findOrganisationByCode(db, values.org.toUpperCase())
    if (org === undefined)
      return `no organisation ${values.org} in this database (${services.database.kind}): see npm run seed:demo`
    values.org = org.id
    if (values.mentor !== undefined) {
      const mentor = await db
        .selectFrom('mentors')
        .select('id')
        .where('id', '=', values.mentor)
        .where('organisation_id', '=', org.id)
        .executeTakeFirst()
      if (mentor === undefined) return `no mentor ${values.mentor} in organisation ${org.code}`
    }
    return null
  } catch (err) {
    return `could not look up the organisation: ${(err as Error).message}`
  } finally {
    await db.destroy()
  }
})()
await services.release()
if (refusal !== null) {
  process.stderr.write(`${refusal}\n`)
  process.exit(2)
}
if (!(Number(values.hours) > 0) || Number(values.hours) * 3600 > config.JWT_MAX_AGE) {
  process.stderr.write(
    `--hours must be more than 0 and at most JWT_MAX_AGE (${config.JWT_MAX_AGE / 3600} hours): the API refuses longer-lived tokens\n`
  )
  process.exit(2)
}
const claims: Record<string, unknown> = {
  sub: values.sub ?? `dev-${roles[0]}-${randomUUID().slice(0, 8)}`,
  roles,
  ...(values.org !== undefined ? { org: values.org } : {}),
  ...(values.mentor !== undefined ? { mentor_id: values.mentor } : {}),
  ...(values.email !== undefined ? { email: values.email } : {}),
  ...(values.name !== undefined ? { name: values.name } : {}),
  ...(config.JWT_ISSUER !== undefined ? { iss: config.JWT_ISSUER } : {}),
  ...(config.JWT_AUDIENCE !== undefined ? { aud: config.JWT_AUDIENCE } : {})
}
process.stdout.write(`${signHs256(config.JWT_SECRET, claims, Number(values.hours) * 3600)}\n`)
