import { WasmOciError } from './errors.ts'

/** What every malformed-binary error tells the user to do. */
export const MALFORMED_FIX = 'rebuild it or check that the file was copied whole'
export const U32_LEB_MAX = 5
/** Keeps a leading byte-order mark in names, as V8 and wasm-tools do. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

export type WasmBinaryKind = 'module' | 'component'

export function malformedWasm(kind: WasmBinaryKind, label: string, what: string, offset?: number, cause?: unknown): WasmOciError {
  const at = offset === undefined ? '' : ` (offset ${offset})`
  return new WasmOciError(`${kind} "${label}" is malformed: ${what}${at}; ${MALFORMED_FIX}`, { cause, usage: true })
}

export function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0')
}

/**
 * Bounds-checked reads over `bytes`, which start at offset `base` of the binary and make up
 * `region` (named in errors): the one reader behind the module and component parsers.
 */
export class WasmCursor {
  private pos = 0

  constructor(
    private readonly bytes: Uint8Array,
    private readonly base: number,
    private readonly label: string,
    private readonly region: string,
    private readonly kind: WasmBinaryKind,
  ) {}

  get offset(): number {
    return this.base + this.pos
  }

  /** An error about the byte just read. */
  error(what: string): WasmOciError {
    return this.errorAt(what, this.offset - 1)
  }

  errorAt(what: string, offset: number): WasmOciError {
    return this.malformed(`${what} in ${this.region}`, offset)
  }

  byte(what: string): number {
    if (this.pos >= this.bytes.length) throw this.malformed(`${this.region} ends in the middle of ${what}`, this.offset)
    return this.bytes[this.pos++]!
  }

  u32(what: string): number {
    const start = this.offset
    let value = 0
    for (let i = 0; i < U32_LEB_MAX; i++) {
      const byte = this.byte(what)
      value += (byte & 0x7f) * 2 ** (7 * i)
      if (byte < 0x80) {
        if (i === U32_LEB_MAX - 1 && byte > 0x0f) break
        return value
      }
    }
    throw this.malformed(`${what} is not a valid u32 LEB128`, start)
  }

  /** A LEB128 of at most `max` bytes whose value is not needed (a u64 limit, an s33 type). */
  skipLeb(what: string, max = U32_LEB_MAX): void {
    const start = this.offset
    for (let i = 0; i < max; i++) if (this.byte(what) < 0x80) return
    throw this.malformed(`${what} is not a valid LEB128`, start)
  }

  string(what: string): string {
    const length = this.u32(`the length of ${what}`)
    if (length > this.bytes.length - this.pos) throw this.malformed(`${what} runs past the end of ${this.region}`, this.offset)
    const start = this.offset
    const bytes = this.bytes.subarray(this.pos, this.pos + length)
    this.pos += length
    try {
      return utf8.decode(bytes)
    } catch (error) {
      throw this.malformed(`${what} is not valid UTF-8`, start, error)
    }
  }

  expectEnd(): void {
    const rest = this.bytes.length - this.pos
    if (rest > 0) throw this.malformed(`${this.region} has ${rest} byte${rest === 1 ? '' : 's'} after its last entry`, this.offset)
  }

  private malformed(what: string, offset: number, cause?: unknown): WasmOciError {
    return malformedWasm(this.kind, this.label, what, offset, cause)
  }
}
