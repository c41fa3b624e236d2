import { execFileSync } from 'node:child_process'
import { mkdir, readFile, readdir, stat, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { planImage } from '../../src/core/formats/index.ts'
import { packImage, writeArchive } from '../../src/core/pack.ts'
import { verifyArchive } from '../../src/core/verify.ts'
import { readTarHeaders } from '../helpers/tar.ts'
import { compileFixture, tempDir } from '../helpers/wat.ts'

const temp = await tempDir()
afterAll(temp.cleanup)
const hello = await compileFixture('hello', temp.dir)
const greet = await compileFixture('greet', temp.dir)
const image = { name: 'hello', repo: 'example.com/demo', tag: 'v1' }

describe('packImage', () => {
  it('writes an archive that reads back with every digest and size right', async () => {
    const summary = await packImage({ ...image, modules: [hello, greet], output: join(temp.dir, 'ok.tar') })
    const verification = await verifyArchive(summary.path)
    expect(verification.problems).toEqual([])
    expect(verification.images).toHaveLength(1)
    const [read] = verification.images
    expect(read!.reference).toBe('example.com/demo/hello:v1')
    expect(read!.manifest.digest).toBe(summary.manifest.digest)
    expect(read!.layers.map((layer) => [layer.digest, layer.size, layer.kind])).toEqual(summary.layers.map((layer) => [layer.digest, layer.size, 'module']))
    expect(summary.size).toBe((await stat(summary.path)).size)
  })

  it('is byte-for-byte reproducible, run twice or in parallel', async () => {
    const outputs = ['a.tar', 'b.tar', 'c.tar'].map((name) => join(temp.dir, 'repro', name))
    await packImage({ ...image, modules: [hello, greet], output: outputs[0]! })
    await Promise.all(outputs.slice(1).map((output) => packImage({ ...image, modules: [hello, greet], output })))
    const [a, b, c] = await Promise.all(outputs.map((output) => readFile(output)))
    expect(a!.equals(b!)).toBe(true)
    expect(a!.equals(c!)).toBe(true)
  })

  it('normalizes every tar header: mtime from SOURCE_DATE_EPOCH, root owner, fixed modes, fixed order', async () => {
    const summary = await packImage({ ...image, modules: [hello], output: join(temp.dir, 'epoch.tar'), sourceDateEpoch: '1700000000' })
    const headers = await readTarHeaders(summary.path)
    const blobs = headers.slice(5).map((header) => header.name)
    expect(headers.map((header) => header.name)).toEqual(['oci-layout', 'index.json', 'manifest.json', 'blobs/', 'blobs/sha256/', ...blobs])
    expect(blobs).toEqual([summary.config.digest, summary.manifest.digest, summary.layers[0]!.digest].map((digest) => `blobs/sha256/${digest.slice(7)}`))
    for (const header of headers) {
      expect(header).toMatchObject({ uid: 0, gid: 0, uname: '', gname: '', mtime: new Date(1700000000 * 1000) })
      expect(header.mode).toBe(header.type === 'directory' ? 0o755 : header.name.startsWith('blobs/') ? 0o444 : 0o644)
    }
    // GNU tar, a second reader, agrees on the names and the epoch.
    const listing = execFileSync('tar', ['--list', '--verbose', '--full-time', '--file', summary.path], { env: { ...process.env, TZ: 'UTC' } }).toString()
    expect(listing).toContain('2023-11-14 22:13:20 oci-layout')
  })

  it('uses SOURCE_DATE_EPOCH from the environment, and 0 without it', async () => {
    const before = process.env.SOURCE_DATE_EPOCH
    try {
      process.env.SOURCE_DATE_EPOCH = '86400'
      const withEpoch = await packImage({ ...image, modules: [hello], output: join(temp.dir, 'env.tar') })
      expect((await readTarHeaders(withEpoch.path))[0]!.mtime).toEqual(new Date(86400 * 1000))
      delete process.env.SOURCE_DATE_EPOCH
      const without = await packImage({ ...image, modules: [hello], output: join(temp.dir, 'noenv.tar') })
      expect((await readTarHeaders(without.path))[0]!.mtime).toEqual(new Date(0))
      process.env.SOURCE_DATE_EPOCH = 'yesterday'
      await expect(packImage({ ...image, modules: [hello], output: join(temp.dir, 'bad-epoch.tar') })).rejects.toThrow(/SOURCE_DATE_EPOCH "yesterday" is not a whole, non-negative number of seconds/)
    } finally {
      if (before === undefined) delete process.env.SOURCE_DATE_EPOCH
      else process.env.SOURCE_DATE_EPOCH = before
    }
  })

  it('leaves an identical archive untouched with skipUnchanged, and replaces a different one', async () => {
    const output = join(temp.dir, 'unchanged.tar')
    const first = await packImage({ ...image, modules: [hello], output, skipUnchanged: true })
    const before = await stat(output)
    const again = await packImage({ ...image, modules: [hello], output, skipUnchanged: true })
    expect([first.written, again.written]).toEqual([true, false])
    expect((await stat(output)).ino).toBe(before.ino)
    const changed = await packImage({ ...image, modules: [greet], output, skipUnchanged: true })
    expect(changed.written).toBe(true)
    expect((await stat(output)).ino).not.toBe(before.ino)
  })

  it('rewrites an archive of the right size whose bytes differ, even with skipUnchanged', async () => {
    const output = join(temp.dir, 'tampered.tar')
    const first = await packImage({ ...image, modules: [hello], output, skipUnchanged: true })
    const bytes = await readFile(output)
    bytes[bytes.length - 1024 - 512 + 10] ^= 0xff // inside the 133-byte layer (last entry, before the end blocks): same size
    await writeFile(output, bytes)
    expect((await verifyArchive(output)).problems).not.toEqual([])
    const again = await packImage({ ...image, modules: [hello], output, skipUnchanged: true })
    expect(again.written).toBe(true)
    expect(again.manifest.digest).toBe(first.manifest.digest)
    expect((await verifyArchive(output)).problems).toEqual([])
  })

  it('leaves nothing behind when a module changes size between hashing and writing', async () => {
    const dir = join(temp.dir, 'atomic')
    await mkdir(dir)
    const shrinking = join(dir, 'shrinking.wasm')
    await writeFile(shrinking, await readFile(hello))
    const plan = await planImage({ ...image, modules: [shrinking], sourceDateEpoch: 0 })
    await truncate(shrinking, 60)
    await expect(writeArchive([plan], { output: join(dir, 'out.tar') })).rejects.toThrow(/cannot write archive ".*out.tar"/)
    expect(await readdir(dir)).toEqual(['shrinking.wasm'])
  })

  it('refuses an output that is a directory or under a regular file, writing nothing', async () => {
    const dir = join(temp.dir, 'outputs')
    await mkdir(join(dir, 'taken.tar'), { recursive: true })
    await writeFile(join(dir, 'file'), 'x')
    await expect(packImage({ ...image, modules: [hello], output: join(dir, 'taken.tar') })).rejects.toThrow(/output ".*taken.tar" is a directory: give a file path/)
    await expect(packImage({ ...image, modules: [hello], output: join(dir, 'file', 'x.tar') })).rejects.toThrow(/a parent of it is a regular file/)
    expect((await readdir(dir)).sort()).toEqual(['file', 'taken.tar'])
  })

  it('creates missing parent directories of the output, as upstream does', async () => {
    const summary = await packImage({ ...image, modules: [hello], output: join(temp.dir, 'deep', 'er', 'img.tar') })
    expect((await verifyArchive(summary.path)).problems).toEqual([])
  })
})
