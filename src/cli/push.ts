import { usageError } from '../core/errors.ts'
import { pushArchive } from '../registry/push-archive.ts'
import type { PushResult } from '../registry/types.ts'
import { REGISTRY_FLAGS, REGISTRY_HELP, registryOptions } from './registry-flags.ts'
import { EXIT_OK, formatBytes } from './shared.ts'
import { type Command, parseCommandArgs, writeJson } from './wasm-oci/command.ts'

export const PUSH_HELP = `Usage: wasm-oci push ARCHIVE [REF] [options]

Pushes the images of an OCI archive to a registry, streaming every blob straight out of the tar.
Blobs the registry holds already are skipped, blobs in another repository of the same registry
are mounted, the rest are uploaded (in chunks of 64 MiB past 16 MiB); the manifest goes last, and
the digest the registry reports for it is checked. Failed requests and uploads are retried.

REF is [REGISTRY/]REPOSITORY[:TAG] (no registry means Docker Hub). Without REF each image goes to
the name it carries in the archive (io.containerd.image.name). With REF one image goes there,
keeping its own tag when REF has none; for an archive of several images give REF without a tag
(each keeps its own) or pick one with --image.

Options:
  --image NAME           push only this image of the archive (its full name or its tag)
  -t, --tag TAG          also point TAG at the pushed manifest; repeatable
  --from REPOSITORY      a repository on the same registry to mount blobs from; repeatable
  --json                 print {"images": [{"reference", "digest", "tags", "blobs", "bytesUploaded"}]}
${REGISTRY_HELP}
Exit status: 0 pushed, 1 the push failed, 2 bad arguments.
Examples:
  wasm-oci push dist/hello.tar localhost:5000/demo/hello:v1
  wasm-oci push dist/hello.tar ghcr.io/acme/hello --tag latest
`

export async function push(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('push', argv, {
    ...REGISTRY_FLAGS,
    image: { type: 'string' },
    tag: { type: 'string', short: 't', multiple: true },
    from: { type: 'string', multiple: true },
  })
  if (values.help) {
    process.stdout.write(PUSH_HELP)
    return EXIT_OK
  }
  const [archive, reference, ...extra] = positionals
  if (archive === undefined) throw usageError('push: give the archive to push: wasm-oci push ARCHIVE [REF]')
  if (extra.length > 0) throw usageError(`push: unexpected argument "${extra[0]}": give one archive and at most one reference; run 'wasm-oci push --help' for usage`)
  const results = await pushArchive(archive, reference, {
    ...(await registryOptions('push', values)),
    ...(values.image !== undefined && { image: values.image }),
    ...(values.tag && { tags: values.tag }),
    ...(values.from && { mountFrom: values.from }),
  })
  if (values.json) writeJson({ images: results })
  else for (const result of results) process.stdout.write(`${summarize(result)}\n`)
  return EXIT_OK
}

function summarize(result: PushResult): string {
  const count = (action: string): number => result.blobs.filter((blob) => blob.action === action).length
  const tags = result.tags.length > 1 ? ` (also tagged ${result.tags.slice(1).join(', ')})` : ''
  return `pushed ${result.reference}@${result.digest}${tags}: ${count('uploaded')} uploaded (${formatBytes(result.bytesUploaded)}), ${count('mounted')} mounted, ${count('exists')} already there`
}

export const pushCommand: Command = {
  name: 'push',
  summary: 'push the images of an archive to a registry',
  help: PUSH_HELP,
  run: push,
}
