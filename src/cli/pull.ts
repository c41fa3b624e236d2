import { usageError } from '../core/errors.ts'
import { resolveTarget } from '../registry/target.ts'
import { pullImage } from '../registry/pull.ts'
import { REGISTRY_FLAGS, REGISTRY_HELP, registryOptions } from './registry-flags.ts'
import { EXIT_OK, formatBytes } from './shared.ts'
import { type Command, parseCommandArgs, writeJson } from './wasm-oci/command.ts'

export const PULL_HELP = `Usage: wasm-oci pull REF [-o ARCHIVE] [options]

Pulls one image from a registry into an OCI image archive in the same layout 'wasm-oci build'
writes, so 'verify', 'inspect' and 'run' work on it. Every blob is checked against its digest
and size as it arrives; the archive appears only when all of them did.

REF is [REGISTRY/]REPOSITORY[:TAG|@DIGEST] (no registry means Docker Hub, no tag means latest).
Only OCI image manifests are pulled; an index is followed to the image for --platform.

Options:
  -o, --output ARCHIVE   the archive to write (default: ./NAME.tar, NAME the repository's last part)
  --platform OS/ARCH     which image of a multi-platform index, e.g. wasip1/wasm
  --json                 print {"reference", "digest", "archive", "size"}
${REGISTRY_HELP}
Environment:
  SOURCE_DATE_EPOCH      seconds for every entry's mtime (default 0)

Exit status: 0 pulled, 1 the pull failed, 2 bad arguments.
Example:
  wasm-oci pull localhost:5000/demo/hello:v1 -o hello.tar && wasm-oci run hello.tar
`

export async function pull(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('pull', argv, {
    ...REGISTRY_FLAGS,
    output: { type: 'string', short: 'o' },
    platform: { type: 'string' },
  })
  if (values.help) {
    process.stdout.write(PULL_HELP)
    return EXIT_OK
  }
  if (positionals.length !== 1) throw usageError('pull: give exactly one image reference: wasm-oci pull REF -o ARCHIVE')
  const reference = positionals[0]!
  const output = values.output ?? `${resolveTarget(reference).repository.split('/').pop()}.tar`
  if (values.platform !== undefined && !/^[^/\s]+\/[^/\s]+$/.test(values.platform)) throw usageError(`pull: --platform "${values.platform}" is not OS/ARCH: write e.g. --platform wasip1/wasm`)
  const result = await pullImage(reference, output, {
    ...(await registryOptions('pull', values)),
    ...(values.platform !== undefined && { platform: values.platform }),
  })
  if (values.json) writeJson({ reference: result.reference, digest: result.digest, archive: result.archive.path, size: result.archive.size })
  else process.stdout.write(`pulled ${result.reference}@${result.digest} into ${result.archive.path} (${formatBytes(result.archive.size)})\n`)
  return EXIT_OK
}

export const pullCommand: Command = {
  name: 'pull',
  summary: 'pull an image from a registry into an archive',
  help: PULL_HELP,
  run: pull,
}
