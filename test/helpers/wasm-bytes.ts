/** Builders for hand-made wasm binaries in tests: what a compiler would never emit. */

/** An unsigned LEB128. */
export const leb = (n: number): number[] => {
  const out: number[] = []
  do {
    out.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0))
    n = Math.floor(n / 0x80)
  } while (n > 0)
  return out
}

/** A name: its UTF-8 length as a LEB128, then the bytes. */
export const name = (text: string): number[] => [...leb(Buffer.byteLength(text)), ...Buffer.from(text)]

/** A section: its id, its payload's length, the payload. */
export const section = (id: number, payload: number[]): number[] => [id, ...leb(payload.length), ...payload]
