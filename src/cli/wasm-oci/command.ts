import { type ParseArgsConfig, parseArgs } from 'node:util'
import { usageError } from '../../core/errors.ts'

/** One `wasm-oci` subcommand: the dispatcher's table holds these (push and pull fit in beside). */
export interface Command {
  name: string
  /** One line for the command list. */
  summary: string
  /** The full `--help` text. */
  help: string
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: string[]): Promise<number>
}

type Options = NonNullable<ParseArgsConfig['options']>

/**
 * `parseArgs` with `-h/--help` added and its errors turned into one-line usage errors that
 * point at the command's help (exit code 2).
 */
export function parseCommandArgs<T extends Options>(command: string, argv: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true })
  } catch (error) {
    // Keep the first sentence: node's advice on '--' and positionals does not fit on one line.
    const message = (error instanceof Error ? error.message : String(error)).split(/\.(?:\s|$)/)[0]
    throw usageError(`${command}: ${message}; run 'wasm-oci ${command} --help' for usage`)
  }
}

/** Splits `KEY=VALUE` (the value may hold '='); `flag` names the option in the error. */
export function parseKeyValue(spec: string, flag: string): [string, string] {
  const eq = spec.indexOf('=')
  if (eq <= 0) throw usageError(`${flag} "${spec}" is not KEY=VALUE: write e.g. ${flag} org.opencontainers.image.source=https://example.com/repo`)
  return [spec.slice(0, eq), spec.slice(eq + 1)]
}

export function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}
