import { parseArgs } from 'node:util'
import { randomUUID } from 'node:crypto'
import { loadConfig } from '../src/config/config.js'
import { signHs256 } from '../src/auth/dev-token.js'
import { ROLES, type Role } from '../src/auth/roles.js'

/** npm run token -- --role coordinator --org <id> [--sub id] [--mentor <id>] [--email e] [--hours 12] */
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
const config = loadConfig()
if (config.JWT_SECRET === undefined) {
  process.stderr.write('JWT_SECRET is not set: tokens come from your identity provider\n')
  process.exit(2)
}
if (!(Number(values.hours) > 0) || Number(values.hours) * 3600 > config.JWT_MAX_AGE) {
  process.stderr.write(`--hours must be more than 0 and at most JWT_MAX_AGE (${config.JWT_MAX_AGE / 3600} hours): the API refuses longer-lived tokens\n`)
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
