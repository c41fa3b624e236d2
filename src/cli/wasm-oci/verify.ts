import { usageError } from '../../core/errors.ts'
import { verifyArchive } from '../../core/verify.ts'
import { EXIT_FAILURE, EXIT_OK } from '../shared.ts'
import { type Command, parseCommandArgs, writeJson } from './command.ts'

const HELP = `Usage: wasm-oci verify ARCHIVE... [--json]

Reads each archive back and checks every claim it makes: every descriptor's digest and size
against the bytes present, every blob's name against its content, the config's diff_ids (of the
uncompressed tar layers) or layerDigests, runwasi's containerd.runwasi.layers label, the CNCF
artifact's shape, safe entry names (no '..', no absolute paths, no links) and the paths in
Docker's manifest.json.

Options:
  --json       print {"ok", "archives": [{"path", "ok", "problems", "images"}]}
  -h, --help   show this help

Prints one line per problem, "ARCHIVE: problem".
Exit status: 0 every check holds, 1 a problem was found or an archive cannot be read, 2 bad arguments.
`

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check every digest, size, diff_id and entry name of archives',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('verify', argv, { json: { type: 'boolean' } })
    if (values.help) {
      process.stdout.write(HELP)
      return EXIT_OK
    }
    if (positionals.length === 0) throw usageError("verify: give the archive to check: wasm-oci verify ARCHIVE")
    const archives = []
    for (const path of positionals) {
      const { problems, images, scan } = await verifyArchive(path)
      archives.push({ path, ok: problems.length === 0, problems, images: images.map((image) => ({ reference: image.reference, manifest: image.manifest.digest })), blobs: [...scan.files.keys()].filter((name) => name.startsWith('blobs/')).length })
    }
    const ok = archives.every((archive) => archive.ok)
    if (values.json) writeJson({ ok, archives: archives.map(({ blobs: _, ...archive }) => archive) })
    else {
      for (const archive of archives) {
        if (archive.ok) process.stdout.write(`${archive.path}: ok (${plural(archive.images.length, 'image')}, ${plural(archive.blobs, 'blob')})\n`)
        for (const problem of archive.problems) process.stdout.write(`${archive.path}: ${problem}\n`)
      }
    }
    return ok ? EXIT_OK : EXIT_FAILURE
  },
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
