import { createReadStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { type Header, extract } from 'tar-stream'

/** Every header of a tar, in order (the bodies are skipped). */
export async function readTarHeaders(path: string): Promise<Header[]> {
  const headers: Header[] = []
  const reader = extract()
  const consumed = (async () => {
    for await (const entry of reader) {
      headers.push(entry.header)
      entry.resume()
    }
  })()
  await Promise.all([pipeline(createReadStream(path), reader), consumed])
  return headers
}
