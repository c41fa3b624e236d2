#!/usr/bin/env node
import { usageError } from '../core/errors.ts'
import { pullCommand } from './pull.ts'
import { pushCommand } from './push.ts'
import { EXIT_OK, packageVersion, runCli } from './shared.ts'
import { buildCommand } from './wasm-oci/build.ts'
import type { Command } from './wasm-oci/command.ts'
import { inspectCommand } from './wasm-oci/inspect.ts'
import { runCommand } from './wasm-oci/run.ts'
import { verifyCommand } from './wasm-oci/verify.ts'

const PROGRAM = 'wasm-oci'

/** Every subcommand, in the order `--help` lists them; a new one (push, pull) is one more entry. */
const COMMANDS: readonly Command[] = [buildCommand, inspectCommand, verifyCommand, runCommand, pushCommand, pullCommand]

const HELP = `Usage: ${PROGRAM} COMMAND [OPTIONS]

Packs WebAssembly modules into OCI image archives and checks, describes and runs them.

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(9)}${command.summary}`).join('\n')}

Run '${PROGRAM} COMMAND --help' for a command's options.

Options:
  -h, --help      show this help
  -V, --version   show the version

Exit status: 0 ok, 1 failed (verification failed, packing failed), 2 bad arguments;
'run' exits with the module's own code.
`

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === '-h' || name === '--help') {
    process.stdout.write(HELP)
    return EXIT_OK
  }
  if (name === 'help') {
    const command = rest[0] === undefined ? undefined : findCommand(rest[0])
    process.stdout.write(command ? command.help : HELP)
    return EXIT_OK
  }
  if (name === '-V' || name === '--version') {
    process.stdout.write(`${PROGRAM} ${packageVersion()}\n`)
    return EXIT_OK
  }
  if (name === undefined) throw usageError(`give a command: ${names()}; run '${PROGRAM} --help' for usage`)
  return findCommand(name).run(rest)
}

function findCommand(name: string): Command {
  const command = COMMANDS.find((candidate) => candidate.name === name)
  if (!command) throw usageError(`unknown command "${name}": use one of ${names()}; run '${PROGRAM} --help' for usage`)
  return command
}

function names(): string {
  return COMMANDS.map((command) => command.name).join(', ')
}

await runCli(PROGRAM, main)
