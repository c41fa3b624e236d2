import { basename, join } from 'node:path'
import { usageError } from '../../core/errors.ts'
import { FORMATS, type Format, assertFormat } from '../../core/formats/index.ts'
import type { ImageName } from '../../core/formats/name.ts'
import { type PackSummary, packImage } from '../../core/pack.ts'
import { parseReference, toPathComponent } from '../../core/reference.ts'
import { EXIT_OK, formatBytes } from '../shared.ts'
import { type Command, parseCommandArgs, parseKeyValue, writeJson } from './command.ts'

const HELP = `Usage: wasm-oci build MODULE... --ref [REGISTRY/]REPO/NAME[:TAG] [--format FORMAT] [-o OUT]
                      [--annotation KEY=VALUE]... [--author NAME] [--compression gzip] [--json]

Packs WebAssembly modules into OCI image archives (uncompressed tar, OCI image layout plus a
Docker manifest.json), byte-for-byte reproducible.

Formats:
  runwasi    runwasi's wasm-layers image for containerd's wasm shims (default); every module
             is one layer of one image
  artifact   the CNCF Wasm OCI artifact for wkg, wasmCloud and Spin; one module per image
  compat     a tar-layer image (platform wasi/wasm) for Docker+Wasm and podman with crun-wasm;
             one module per image

Options:
  --ref REF                  the image reference, e.g. ghcr.io/acme/hello:v1 (tag default: latest)
  -f, --format FORMAT        ${FORMATS.join(', ')} (default: runwasi)
  -o, --output OUT           the archive to write (default: ./NAME.tar); parents are created
  --annotation KEY=VALUE     a manifest annotation; repeatable
  --author NAME              the artifact config's author (artifact only; default null)
  --compression gzip         gzip the compat layer (compat only; default none). The gzip bytes
                             are reproducible only with the same zlib version and level
  --json                     print what was written as JSON
  -h, --help                 show this help

Several modules with artifact or compat make one archive each: REF is then the repository and
each image is named after its module, e.g. --ref ghcr.io/acme:v1 a.wasm b.wasm writes a.tar
(ghcr.io/acme/a:v1) and b.tar (ghcr.io/acme/b:v1) into OUT, a directory (default: .).

Environment:
  SOURCE_DATE_EPOCH          seconds for every mtime and the configs' created (default 0)

Exit status: 0 written, 1 packing failed, 2 bad arguments.
`

const OPTIONS = {
  ref: { type: 'string' },
  format: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o' },
  annotation: { type: 'string', multiple: true },
  author: { type: 'string' },
  compression: { type: 'string' },
  json: { type: 'boolean' },
} as const

export const buildCommand: Command = {
  name: 'build',
  summary: 'pack wasm modules into OCI image archives (runwasi, artifact or compat)',
  help: HELP,
  async run(argv) {
    const { values, positionals: modules } = parseCommandArgs('build', argv, OPTIONS)
    if (values.help) {
      process.stdout.write(HELP)
      return EXIT_OK
    }
    if (values.ref === undefined) throw usageError('build: --ref is required: name the image, e.g. --ref ghcr.io/acme/hello:v1')
    if (modules.length === 0) throw usageError('build: give the wasm module(s) to pack: wasm-oci build MODULE.wasm --ref REF')
    const format = assertFormat(values.format ?? 'runwasi', '--format')
    if (values.compression !== undefined && values.compression !== 'none' && values.compression !== 'gzip') {
      throw usageError(`build: --compression "${values.compression}" is not known: use none or gzip`)
    }
    const common = {
      format,
      annotations: values.annotation && Object.fromEntries(values.annotation.map((spec) => parseKeyValue(spec, '--annotation'))),
      ...(values.author !== undefined && { author: values.author }),
      ...(values.compression !== undefined && { compression: values.compression as 'none' | 'gzip' }),
    }
    const summaries: PackSummary[] = []
    for (const job of planJobs(modules, values.ref, format, values.output)) summaries.push(await packImage({ ...common, ...job }))
    if (values.json) writeJson({ archives: summaries.map(({ images: _, ...summary }) => ({ format, ...summary })) })
    else {
      for (const summary of summaries) {
        process.stdout.write(`${summary.path}: ${summary.reference} ${summary.manifest.digest} (${format}, ${summary.layers.length} layer${summary.layers.length === 1 ? '' : 's'}, ${formatBytes(summary.size)})\n`)
      }
    }
    return EXIT_OK
  },
}

interface Job extends ImageName {
  modules: string[]
  output: string
}

/** One archive for every module with a one-module format and several modules; one in all otherwise. */
function planJobs(modules: string[], ref: string, format: Format, output: string | undefined): Job[] {
  const parsed = parseReference(ref, '--ref', 'latest')
  if (parsed.digest) throw usageError(`--ref "${ref}" names a digest: give a tag instead (the digest is computed from the content)`)
  const repository = parsed.registry ? `${parsed.registry}/${parsed.repository}` : parsed.repository
  const tag = parsed.tag!
  if (format === 'runwasi' || modules.length === 1) {
    const slash = repository.lastIndexOf('/')
    const name = repository.slice(slash + 1)
    return [{ name, repo: slash === -1 ? '' : repository.slice(0, slash), tag, modules, output: output ?? `${name}.tar` }]
  }
  const seen = new Map<string, string>()
  return modules.map((module) => {
    const name = toPathComponent(basename(module).replace(/\.wasm$/, ''))
    if (name === undefined) throw usageError(`module "${module}": its file name gives no usable image name: rename it (letters, digits, '.', '_', '-')`)
    const other = seen.get(name)
    if (other !== undefined) throw usageError(`modules "${other}" and "${module}" would both be image ${repository}/${name}: rename one, or build them separately`)
    seen.set(name, module)
    return { name, repo: repository, tag, modules: [module], output: join(output ?? '.', `${name}.tar`) }
  })
}
