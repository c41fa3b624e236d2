import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import { type ArchiveIndex, indexArchive, openEntry, readEntry } from '../../src/core/archive-index.ts'
import { scanArchive } from '../../src/core/archive-read.ts'
import { readArchivePlans } from '../../src/registry/archive-plans.ts'
import { makeTempDir, requireTools, runOk } from '../helpers/tools.ts'
import { buildArchive } from './support.ts'

async function sha256Of(index: ArchiveIndex, name: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of openEntry(index, index.files.get(name)!)) hash.update(chunk as Buffer)
  return `sha256:${hash.digest('hex')}`
}

describe('indexArchive', () => {
  let dir: string
  beforeAll(async () => {
    dir = await makeTempDir('archive-index')
  })

  it('finds every file of a packed archive where the streaming reader finds it', async () => {
    const archive = await buildArchive(dir, 'example.com/demo/hello:v1', 3 << 20)
    const [index, scan] = await Promise.all([indexArchive(archive.path), scanArchive(archive.path)])
    expect(index.entries.map(entry => entry.name)).toEqual(scan.entries.map(entry => entry.name))
    for (const [name, file] of scan.files) {
      expect(index.files.get(name)!.size).toBe(file.size)
      expect(await sha256Of(index, name)).toBe(file.digest)
    }
    expect(new TextDecoder().decode(await readEntry(index, index.files.get('oci-layout')!))).toBe('{"imageLayoutVersion":"1.0.0"}')
  })

  it.skipIf(!requireTools('tar'))('reads GNU long names, PAX paths, ustar prefixes, ./ and empty files from the system tar', async () => {
    const tree = join(dir, 'tree')
    // Splits into ustar's prefix and name; the other cannot be split (GNU 'L' records, PAX `path`).
    const splittable = `${'d'.repeat(90)}/${'f'.repeat(80)}.bin`
    const unsplittable = `${'g'.repeat(130)}.bin`
    await mkdir(join(tree, 'd'.repeat(90)), { recursive: true })
    const contents: Record<string, Buffer> = { [splittable]: randomBytes(70_000), [unsplittable]: randomBytes(513), 'short.txt': Buffer.from('hi\n'), 'empty': Buffer.alloc(0) }
    for (const [name, bytes] of Object.entries(contents)) await writeFile(join(tree, name), bytes)
    for (const format of ['gnu', 'posix', 'ustar']) {
      const path = join(dir, `${format}.tar`)
      const names = ['./short.txt', 'empty', splittable, ...(format === 'ustar' ? [] : [unsplittable])]
      await runOk('tar', [`--format=${format}`, '-cf', path, '-C', tree, ...names])
      const index = await indexArchive(path)
      expect([...index.files.keys()]).toEqual(names.map(name => name.replace(/^\.\//, '')))
      for (const name of index.files.keys()) expect(Buffer.from(await readEntry(index, index.files.get(name)!))).toEqual(contents[name])
    }
  })

  it('names the fix for gzip, a cut-off archive and something that is not a tar', async () => {
    const archive = await buildArchive(dir, 'example.com/demo/cut:v1')
    const bytes = await readFile(archive.path)
    await writeFile(join(dir, 'gz.tar.gz'), gzipSync(bytes))
    await expect(indexArchive(join(dir, 'gz.tar.gz'))).rejects.toThrow(`archive "${join(dir, 'gz.tar.gz')}" is gzip-compressed: gunzip it first`)
    await writeFile(join(dir, 'cut.tar'), bytes.subarray(0, 2048 + 100))
    await expect(indexArchive(join(dir, 'cut.tar'))).rejects.toThrow(/is not a valid tar \(at byte \d+: the archive ends inside a header\)/)
    await writeFile(join(dir, 'text.tar'), 'x'.repeat(1024))
    await expect(indexArchive(join(dir, 'text.tar'))).rejects.toThrow(/is not a valid tar \(at byte 0: a header checksum does not match\)/)
    await expect(indexArchive(join(dir, 'missing.tar'))).rejects.toThrow(/archive ".*missing.tar" does not exist: check the path/)
  })

  it('readArchivePlans checks metadata digests and finds every blob', async () => {
    const archive = await buildArchive(dir, 'example.com/demo/plans:v1')
    const [plan] = await readArchivePlans(archive.path)
    expect(plan).toMatchObject({ reference: 'example.com/demo/plans:v1', refName: 'v1', platform: { architecture: 'wasm', os: 'wasip1' }, manifest: { descriptor: { digest: archive.digest } } })
    // Cut the last blob short: its descriptor no longer matches what the tar holds.
    const index = await indexArchive(archive.path)
    const last = index.entries.at(-1)!
    await truncate(archive.path, last.offset + 4)
    await expect(readArchivePlans(archive.path)).rejects.toThrow(/ends inside a header|has \d+ bytes in archive/)
  })
})
