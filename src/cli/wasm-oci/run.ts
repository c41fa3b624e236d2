import { usageError } from '../../core/errors.ts'
import { runArchive } from '../../core/run.ts'
import { EXIT_OK } from '../shared.ts'
import { type Command, parseCommandArgs, parseKeyValue } from './command.ts'

const HELP = `Usage: wasm-oci run ARCHIVE [--ref REF] [--env KEY=VALUE]... [--dir HOST[:GUEST]]... [-- ARGS...]

Runs the WASI preview 1 (wasip1) command module of an image archive under Node's node:wasi,
streaming the module out of the tar without unpacking it. Works with all three formats; a
component (wasip2) or a module without _start needs another runtime, and the error says which.

The module sees only what is given here: ARGS (after its own name as argv[0]), the --env
variables, and the --dir directories. node:wasi is not a sandbox for untrusted code.

Options:
  --ref REF               the image to run when the archive holds several (reference or tag)
  -e, --env KEY=VALUE     an environment variable for the module; repeatable
  -d, --dir HOST[:GUEST]  let the module open directory HOST, as GUEST (default: HOST); repeatable
  -h, --help              show this help

Exit status: the module's own exit code; 1 when it cannot be run (or traps), 2 bad arguments.
`

export const runCommand: Command = {
  name: 'run',
  summary: 'run the wasip1 module of an archive under node:wasi',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('run', argv, {
      ref: { type: 'string' },
      env: { type: 'string', short: 'e', multiple: true },
      dir: { type: 'string', short: 'd', multiple: true },
    })
    if (values.help) {
      process.stdout.write(HELP)
      return EXIT_OK
    }
    const [archive, ...args] = positionals
    if (archive === undefined) throw usageError('run: give the archive to run: wasm-oci run ARCHIVE [-- ARGS...]')
    silenceWasiWarning()
    return runArchive(archive, {
      ...(values.ref !== undefined && { ref: values.ref }),
      args,
      env: Object.fromEntries((values.env ?? []).map((spec) => parseKeyValue(spec, '--env'))),
      preopens: Object.fromEntries((values.dir ?? []).map(parseDir)),
    })
  },
}

/** `HOST[:GUEST]` → [guest, host]; the guest path defaults to the host path, as wasmtime's --dir. */
function parseDir(spec: string): [string, string] {
  const colon = spec.indexOf(':')
  const [host, guest] = colon === -1 ? [spec, spec] : [spec.slice(0, colon), spec.slice(colon + 1)]
  if (host === '' || guest === '') throw usageError(`--dir "${spec}" is not HOST[:GUEST]: write e.g. --dir ./data:/data`)
  return [guest, host]
}

/** node:wasi announces itself as experimental on stderr, which would mix into the module's own output. */
function silenceWasiWarning(): void {
  const emitWarning = process.emitWarning.bind(process)
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message
    if (text.startsWith('WASI is an experimental feature')) return
    ;(emitWarning as (...args: unknown[]) => void)(warning, ...rest)
  }) as typeof process.emitWarning
}
