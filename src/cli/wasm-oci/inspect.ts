import { usageError } from '../../core/errors.ts'
import { type ArchiveInspection, type InspectedLayer, inspectArchive } from '../../core/inspect.ts'
import type { WasmSummary } from '../../core/wasm-summary.ts'
import { EXIT_OK, formatBytes } from '../shared.ts'
import { type Command, parseCommandArgs, writeJson } from './command.ts'

const HELP = `Usage: wasm-oci inspect ARCHIVE [--json]

Describes an image archive: each image's references, manifest digest, platform, config, its
layers with sizes and kinds (core module or component, with their imports and exports; the
files in a tar layer) and annotations. Problems that 'wasm-oci verify' would report are listed
at the end.

Options:
  --json       print the whole description as JSON
  -h, --help   show this help

Exit status: 0 described (even with problems listed), 1 the archive cannot be read, 2 bad arguments.
`

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'describe the images, configs and layers of an archive',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('inspect', argv, { json: { type: 'boolean' } })
    if (values.help) {
      process.stdout.write(HELP)
      return EXIT_OK
    }
    if (positionals.length !== 1) throw usageError('inspect: give exactly one archive: wasm-oci inspect ARCHIVE')
    const inspection = await inspectArchive(positionals[0]!)
    if (values.json) writeJson(inspection)
    else process.stdout.write(formatInspection(inspection))
    return EXIT_OK
  },
}

const INDENT = '  '
const FIELD = 14

function formatInspection(inspection: ArchiveInspection): string {
  const lines = [`${inspection.path} (${formatBytes(inspection.size)})`]
  const row = (depth: number, label: string, value: string) => lines.push(`${INDENT.repeat(depth)}${label.padEnd(FIELD - INDENT.length * depth - 1)} ${value}`)
  for (const image of inspection.images) {
    lines.push('', image.reference)
    if (image.refName !== undefined) row(1, 'ref name', image.refName)
    row(1, 'manifest', `${image.manifest.digest} (${formatBytes(image.manifest.size)})`)
    if (image.platform) row(1, 'platform', `${image.platform.os}/${image.platform.architecture}`)
    row(1, 'config', `${image.config.mediaType} ${image.config.digest} (${formatBytes(image.config.size)})`)
    for (const [key, value] of configHighlights(image.configJson)) row(2, key, value)
    image.layers.forEach((layer, i) => {
      row(1, `layer ${i}`, `${layer.mediaType} ${layer.digest} (${formatBytes(layer.size)}) ${kindName(layer)}`)
      for (const [key, value] of Object.entries(layer.annotations ?? {})) row(2, key, value)
      if (layer.wasm) wasmRows(layer.wasm, 2, row)
      for (const file of layer.files ?? []) {
        row(2, file.name, `${formatBytes(file.size)}, mode ${file.mode.toString(8).padStart(4, '0')}${file.wasm ? `, ${kindName(file.wasm)}` : ''}`)
        if (file.wasm) wasmRows(file.wasm, 3, row)
      }
    })
    const annotations = Object.entries(image.annotations)
    if (annotations.length > 0) row(1, 'annotations', annotations.map(([key, value]) => `${key}=${value}`).join(', '))
  }
  if (inspection.problems.length > 0) lines.push('', `${inspection.problems.length} problem${inspection.problems.length === 1 ? '' : 's'} (wasm-oci verify):`, ...inspection.problems.map((problem) => `${INDENT}${problem}`))
  return `${lines.join('\n')}\n`
}

function configHighlights(config: Record<string, unknown>): [string, string][] {
  const settings = (config.config ?? {}) as Record<string, unknown>
  const rows: [string, string][] = []
  if (typeof config.os === 'string') rows.push(['os/arch', `${config.os}/${String(config.architecture)}`])
  if (typeof config.created === 'string') rows.push(['created', config.created])
  if (typeof config.author === 'string') rows.push(['author', config.author])
  if (Array.isArray(settings.Entrypoint)) rows.push(['entrypoint', JSON.stringify(settings.Entrypoint)])
  for (const [key, value] of Object.entries((settings.Labels ?? {}) as Record<string, string>)) rows.push([key, value])
  return rows
}

function kindName(item: InspectedLayer | WasmSummary): string {
  switch (item.kind) {
    case 'module':
      return 'core module'
    case 'component':
      return 'component'
    case 'tar':
      return 'tar'
    default:
      return ''
  }
}

function wasmRows(wasm: WasmSummary, depth: number, row: (depth: number, label: string, value: string) => void): void {
  if (wasm.error !== undefined) row(depth, 'unreadable', wasm.error)
  row(depth, 'imports', wasm.imports.join(', ') || '(none)')
  row(depth, 'exports', wasm.exports.join(', ') || '(none)')
}
