import { describe, expect, it } from 'vitest'
import { reporter } from '../../src/cli/registry-flags.ts'

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream, written: string[] } {
  const written: string[] = []
  return { stream: { isTTY, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream, written }
}

const DIGEST = `sha256:${'ab'.repeat(32)}`
const MiB = 1 << 20

describe('the push/pull progress reporter', () => {
  it('on a terminal: redraws progress of large blobs in place and clears it when the blob is done', () => {
    const { stream, written } = fakeStream(true)
    const report = reporter(stream)
    report({ type: 'progress', action: 'upload', digest: DIGEST, size: 1000, done: 1000 })
    report({ type: 'progress', action: 'upload', digest: DIGEST, size: 64 * MiB, done: 16 * MiB })
    report({ type: 'progress', action: 'upload', digest: DIGEST, size: 64 * MiB, done: 17 * MiB })
    report({ type: 'progress', action: 'upload', digest: DIGEST, size: 64 * MiB, done: 64 * MiB })
    report({ type: 'blob', action: 'uploaded', digest: DIGEST, size: 64 * MiB })
    expect(written).toEqual([
      '\r\x1B[Kuploading abababababab  16.0 MiB / 64.0 MiB  25%',
      '\r\x1B[Kuploading abababababab  64.0 MiB / 64.0 MiB  100%',
      '\r\x1B[K',
    ])
  })

  it('elsewhere: only retries, one line each', () => {
    const { stream, written } = fakeStream(false)
    const report = reporter(stream)
    report({ type: 'progress', action: 'download', digest: DIGEST, size: 64 * MiB, done: 16 * MiB })
    report({ type: 'retry', what: `upload of blob ${DIGEST}`, attempt: 2, attempts: 4, delayMs: 500, reason: 'ECONNRESET: socket hang up' })
    expect(written).toEqual([`wasm-oci: upload of blob ${DIGEST}: ECONNRESET: socket hang up; retrying in 0.5 s (attempt 2 of 4)\n`])
  })
})
