import { parseComponentWorld } from './component.ts'
import { type WasmKind, classifyWasmHeader } from './wasm.ts'
import { WASM } from './webassembly.ts'

export interface WasmSummary {
  kind: WasmKind
  /** A component's world imports (`wasi:cli/environment@0.2.0`), or a module's `module.name` imports. */
  imports: string[]
  /** A component's world exports, or a module's export names. */
  exports: string[]
  /** Why the imports and exports could not be read (a malformed binary). */
  error?: string
}

/** What a wasm binary is and what it imports and exports; a binary that does not parse says why instead of throwing. */
export async function summarizeWasm(bytes: Uint8Array, label: string): Promise<WasmSummary> {
  const kind = classifyWasmHeader(bytes.subarray(0, 8), label)
  try {
    if (kind === 'component') {
      const world = parseComponentWorld(bytes, label)
      return { kind, imports: world.imports, exports: world.exports }
    }
    const module = await WASM.compile(bytes)
    return {
      kind,
      imports: WASM.Module.imports(module).map((entry) => `${entry.module}.${entry.name}`),
      exports: WASM.Module.exports(module).map((entry) => entry.name),
    }
  } catch (error) {
    return { kind, imports: [], exports: [], error: error instanceof Error ? error.message : String(error) }
  }
}

/** Whether `head` starts with the wasm magic `\0asm`. */
export function isWasmBinary(head: Uint8Array): boolean {
  return head[0] === 0x00 && head[1] === 0x61 && head[2] === 0x73 && head[3] === 0x6d
}
