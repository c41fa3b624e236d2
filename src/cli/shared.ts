import packageJson from '../../package.json' with { type: 'json' }
import { WasmOciError } from '../core/errors.ts'

/** Exit codes every CLI here documents. */
export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

/** Inlined at build time: a path relative to the bundle would break when tsdown moves code between chunks. */
export function packageVersion(): string {
  return packageJson.version
}

/** `node:util` parseArgs throws TypeErrors with codes like ERR_PARSE_ARGS_UNKNOWN_OPTION. */
function isParseArgsError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')
}

/** Runs a CLI's main, turning every error into one line on stderr and the documented exit code. */
export async function runCli(program: string, main: (argv: string[]) => Promise<number>, argv = process.argv.slice(2)): Promise<void> {
  try {
    process.exitCode = await main(argv)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const badFlags = isParseArgsError(error)
    process.stderr.write(`${program}: ${message}\n${badFlags ? `Run '${program} --help' for usage.\n` : ''}`)
    process.exitCode = badFlags || (error instanceof WasmOciError && error.usage) ? EXIT_USAGE : EXIT_FAILURE
  }
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`
}
