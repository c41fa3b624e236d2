import { stat } from 'node:fs/promises'
import { readWasmFromArchive } from './archive-layer.ts'
import { WasmOciError, usageError } from './errors.ts'
import { classifyWasmHeader } from './wasm.ts'
import { WASM, type WasmModule } from './webassembly.ts'

export interface RunOptions {
  /** Which image of the archive: its full reference or its tag. @default the only one */
  ref?: string
  /** Arguments after the program name (argv[0] is the module's file name). */
  args?: string[]
  /** The module's whole environment; nothing of the host's leaks in. @default {} */
  env?: Record<string, string>
  /** Directories the module may open: guest path → host path. @default {} */
  preopens?: Record<string, string>
  /** File descriptors for the module's stdio. @default 0, 1, 2 */
  stdin?: number
  stdout?: number
  stderr?: number
}

const WASI_PREVIEW1 = 'wasi_snapshot_preview1'
const COMPONENT_RUNTIMES = '`wasmtime run` (wasmtime ≥ 14) or `jco run`, or through containerd with runwasi\'s wasmtime shim'

/**
 * Runs the wasip1 command module of an image archive under `node:wasi` and resolves to its exit
 * code. The module comes straight out of the tar (see `readWasmFromArchive`); it sees only the
 * arguments, environment and directories given here. Node's WASI is not a sandbox for untrusted
 * code (its docs say so): run only modules you would run natively.
 */
export async function runArchive(path: string, options: RunOptions = {}): Promise<number> {
  const { image, name, bytes } = await readWasmFromArchive(path, options.ref)
  const what = `${image.reference} (${name})`
  if (classifyWasmHeader(bytes, what) === 'component') {
    throw new WasmOciError(`${what} is a WebAssembly component (wasip2); node:wasi runs only wasip1 core modules: run it with ${COMPONENT_RUNTIMES}`)
  }
  let module: WasmModule
  try {
    module = await WASM.compile(bytes)
  } catch (error) {
    throw new WasmOciError(`${what} does not compile: ${(error as Error).message}; check it with wasm-validate`, { cause: error })
  }
  checkCommand(module, what)
  const preopens = await checkPreopens(options.preopens ?? {})
  // Loaded here, not at the top: node:wasi prints an ExperimentalWarning when first imported.
  const { WASI } = await import('node:wasi')
  const wasi = new WASI({
    version: 'preview1',
    args: [name, ...(options.args ?? [])],
    env: options.env ?? {},
    preopens,
    returnOnExit: true,
    stdin: options.stdin ?? 0,
    stdout: options.stdout ?? 1,
    stderr: options.stderr ?? 2,
  })
  const instance = await WASM.instantiate(module, wasi.getImportObject())
  try {
    return wasi.start(instance)
  } catch (error) {
    throw new WasmOciError(`${what} trapped: ${(error as Error).message}`, { cause: error })
  }
}

/** A WASI command: exports `_start` and `memory`, imports nothing but wasi_snapshot_preview1. */
function checkCommand(module: WasmModule, what: string): void {
  const foreign = WASM.Module.imports(module).filter((entry) => entry.module !== WASI_PREVIEW1)
  if (foreign.some((entry) => entry.module === 'wasi_unstable')) {
    throw new WasmOciError(`${what} imports wasi_unstable (WASI preview 0); node:wasi here runs preview 1: rebuild it for wasm32-wasip1, or run it with wasmtime`)
  }
  if (foreign.length > 0) {
    const names = foreign.slice(0, 5).map((entry) => `${entry.module}.${entry.name}`).join(', ')
    throw new WasmOciError(`${what} imports ${names}${foreign.length > 5 ? ', …' : ''}, which WASI preview 1 does not provide: it needs the host it was built for (e.g. a browser or Node glue from its toolchain), not a WASI runtime`)
  }
  const exports = new Map(WASM.Module.exports(module).map((entry) => [entry.name, entry.kind]))
  if (exports.get('_start') !== 'function') {
    const reactor = exports.get('_initialize') === 'function' ? ' (it exports _initialize: a WASI reactor)' : ''
    throw new WasmOciError(`${what} exports no _start function${reactor}: it is a library, not a command; call its exports from a host such as \`wasmtime run --invoke NAME\`, or build it as a WASI command`)
  }
  if (exports.get('memory') !== 'memory') throw new WasmOciError(`${what} exports no memory named "memory": WASI runtimes need it; build it for wasm32-wasip1`)
}

async function checkPreopens(preopens: Record<string, string>): Promise<Record<string, string>> {
  for (const [guest, host] of Object.entries(preopens)) {
    const stats = await stat(host).catch(() => undefined)
    if (!stats?.isDirectory()) throw usageError(`preopen "${host}" (seen by the module as "${guest}") is not a directory on this machine: give an existing directory`)
  }
  return preopens
}
