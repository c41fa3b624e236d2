#!/usr/bin/env node
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { errnoCode, usageError } from '../core/errors.ts'
import type { LayerInput } from '../core/formats/runwasi.ts'
import { packImage } from '../core/pack.ts'
import { EXIT_OK, formatBytes, packageVersion, runCli } from './shared.ts'

const PROGRAM = 'oci-tar-builder'

const HELP = `Usage: ${PROGRAM} -n NAME -r REPO -t TAG (-m MODULE... | -c DIR) [-l MEDIATYPE=PATH...] [-o OUT]

Packs WebAssembly modules into an OCI image archive that runwasi's containerd shims run,
byte-compatible with runwasi's own oci-tar-builder (config and manifest).

Options:
  -n, --name NAME            image name; the entrypoint is NAME.wasm
  -r, --repo REPO            repository, e.g. ghcr.io/acme or localhost:5000/demo
  -t, --tag TAG              image tag
  -m, --module PATH          a wasm module or component; repeat for more layers
  -c, --components DIR       every *.wasm file in DIR, in name order, one layer each
  -l, --layer MEDIATYPE=PATH an extra layer of any media type; repeatable
  -a, --as-artifact          write a CNCF Wasm OCI artifact instead (the first module only)
  -o, --out-path PATH        the archive to write (default: ./NAME.tar); parents are created
  -h, --help                 show this help
  -V, --version              show the version

Environment:
  SOURCE_DATE_EPOCH          seconds for every entry's mtime and the artifact's created (default 0)

Exit status: 0 written, 1 packing failed, 2 bad arguments.
Example:
  ${PROGRAM} -n hello -r ghcr.io/acme -t v1 -m hello.wasm -o dist/hello.tar
`

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      name: { type: 'string', short: 'n' },
      repo: { type: 'string', short: 'r' },
      tag: { type: 'string', short: 't' },
      module: { type: 'string', short: 'm', multiple: true },
      components: { type: 'string', short: 'c' },
      layer: { type: 'string', short: 'l', multiple: true },
      'as-artifact': { type: 'boolean', short: 'a' },
      'out-path': { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
    },
    allowPositionals: false,
  })
  if (values.help) {
    process.stdout.write(HELP)
    return EXIT_OK
  }
  if (values.version) {
    process.stdout.write(`${PROGRAM} ${packageVersion()}\n`)
    return EXIT_OK
  }
  const name = required(values.name, '-n/--name')
  const repo = required(values.repo, '-r/--repo')
  const tag = required(values.tag, '-t/--tag')
  const modules = values.module ?? []
  if (modules.length > 0 && values.components !== undefined) throw usageError('give either -m/--module or -c/--components, not both')
  if (modules.length === 0 && values.components === undefined) throw usageError('give the wasm to pack: -m/--module PATH (repeatable) or -c/--components DIR')
  if (values.components !== undefined) modules.push(...(await listComponents(values.components)))

  const artifact = values['as-artifact'] === true
  if (artifact && values.layer !== undefined) throw usageError('-l/--layer cannot go into an artifact (-a/--as-artifact holds one wasm layer): drop one of them')
  // Upstream packs only the first module as the artifact and ignores the rest; say so instead.
  if (artifact && modules.length > 1) process.stderr.write(`${PROGRAM}: -a/--as-artifact packs only the first module, ${modules[0]}; ignoring ${modules.slice(1).join(', ')}\n`)
  const summary = await packImage({
    name,
    repo,
    tag,
    ...(artifact ? { format: 'artifact' as const, modules: modules.slice(0, 1) } : { modules, layers: (values.layer ?? []).map(parseLayer) }),
    output: values['out-path'] ?? `${name}.tar`,
  })
  process.stdout.write(`${summary.path}: ${summary.reference} ${summary.manifest.digest} (${summary.layers.length} layer${summary.layers.length === 1 ? '' : 's'}, ${formatBytes(summary.size)})\n`)
  return EXIT_OK
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw usageError(`${flag} is required`)
  return value
}

function parseLayer(spec: string): LayerInput {
  const eq = spec.indexOf('=')
  if (eq <= 0 || eq === spec.length - 1) {
    throw usageError(`-l/--layer "${spec}" is not MEDIATYPE=PATH: write e.g. -l application/vnd.wasm.config.v0+json=config.json`)
  }
  return { mediaType: spec.slice(0, eq), path: spec.slice(eq + 1) }
}

/** Name order, not directory order: upstream's order varies from one file system to another. */
async function listComponents(dir: string): Promise<string[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (error) {
    const code = errnoCode(error)
    const reason = code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a directory' : String(code ?? error)
    throw usageError(`-c/--components "${dir}" ${reason}: give a directory holding .wasm files`)
  }
  const wasm = names.filter((file) => file.endsWith('.wasm')).sort()
  if (wasm.length === 0) throw usageError(`-c/--components "${dir}" holds no .wasm files`)
  return wasm.map((file) => join(dir, file))
}

await runCli(PROGRAM, main)
