import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createSha256, digestFile, parseDigest, sha256Hex } from '../../src/core/digest.ts'
import { tempDir } from '../helpers/wat.ts'

const temp = await tempDir()
afterAll(temp.cleanup)

describe('sha256', () => {
  it('matches the FIPS 180-2 test vectors in both implementations', () => {
    for (const implementation of ['node', 'noble'] as const) {
      expect(sha256Hex('', implementation)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
      expect(sha256Hex('abc', implementation)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    }
  })

  it('gives the same digest through node:crypto and @noble/hashes for chunked input', () => {
    const data = new Uint8Array(3 * 65536 + 17).map((_, i) => (i * 31 + 7) & 0xff)
    const node = createSha256('node')
    const noble = createSha256('noble')
    for (let offset = 0; offset < data.length; offset += 10007) {
      node.update(data.subarray(offset, offset + 10007))
      noble.update(data.subarray(offset, offset + 10007))
    }
    const hex = node.hex()
    expect(noble.hex()).toBe(hex)
    expect(hex).toBe(sha256Hex(data))
  })

  it('hashes a file from disk, with its size, in both implementations', async () => {
    const path = join(temp.dir, 'blob')
    const data = new Uint8Array(5 << 20).map((_, i) => i % 251)
    await writeFile(path, data)
    const node = await digestFile(path, 'node')
    expect(node).toEqual({ digest: `sha256:${sha256Hex(data)}`, size: data.length })
    expect(await digestFile(path, 'noble')).toEqual(node)
  })

  it('names a missing file and the fix', async () => {
    await expect(digestFile(join(temp.dir, 'nope'))).rejects.toThrow(/cannot read ".*nope" \(ENOENT\): check that the file exists/)
  })

  it('parses only sha256:<64 lowercase hex>', () => {
    expect(parseDigest(`sha256:${'a'.repeat(64)}`, 'x')).toBe('a'.repeat(64))
    expect(() => parseDigest(`sha256:${'A'.repeat(64)}`, 'index.json')).toThrow(/index.json: digest "sha256:A+" is not of the form/)
  })
})
