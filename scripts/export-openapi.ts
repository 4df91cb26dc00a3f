import { writeFile, mkdir } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildOpenApiDocument, serialiseOpenApi } from '../src/openapi.js'

const target = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'openapi', 'openapi.json')
await mkdir(dirname(target), { recursive: true })
await writeFile(target, serialiseOpenApi(await buildOpenApiDocument()))
process.stdout.write(`wrote ${target}\n`)
