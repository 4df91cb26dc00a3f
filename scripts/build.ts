/**
 * `npm run build`: the production build, one ES module at dist/waymark.mjs (run it with
 * `node dist/waymark.mjs all|api|worker`). Bundling the service with its dependencies means Node
 * resolves and reads one file instead of some 1,500 at start-up, which takes most of a second off it.
 * The type check runs first (`tsc -p tsconfig.build.json`); esbuild only strips types.
 *
 * Left outside the bundle: the packages of scripts/runtime-modules.mjs (EXTERNAL), which read files of
 * their own package folders at run time; the image copies only those (and their dependencies).
 */
import { build } from 'esbuild'
import { EXTERNAL } from './runtime-modules.mjs'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
// `--outfile <path>` builds elsewhere (the production-build test does); it must stay inside the
// project, where the modules left outside the bundle resolve from node_modules.
const at = process.argv.indexOf('--outfile')
const outfile = path.resolve(root, at > 0 ? process.argv[at + 1] : 'dist/waymark.mjs')
// What an earlier build left: the old dist/ layout (one file per module) when building the default.
if (at < 0) rmSync(path.join(root, 'dist'), { recursive: true, force: true })
for (const f of [outfile, `${outfile}.map`]) rmSync(f, { force: true })

const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/main.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  external: EXTERNAL,
  // CommonJS dependencies inside an ES module still call require and read __dirname.
  banner: {
    js: [
      "import { createRequire as __waymarkRequire } from 'node:module';",
      "import { fileURLToPath as __waymarkPath } from 'node:url';",
      "import { dirname as __waymarkDir } from 'node:path';",
      'const require = __waymarkRequire(import.meta.url);',
      'const __filename = __waymarkPath(import.meta.url);',
      'const __dirname = __waymarkDir(__filename);'
    ].join(' ')
  },
  logLevel: 'warning',
  metafile: true
})
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0)
process.stdout.write(
  `${path.relative(root, outfile)}: ${Object.keys(result.metafile.inputs).length} modules, ${(bytes / 1e6).toFixed(1)} MB with its source map\n`
)
