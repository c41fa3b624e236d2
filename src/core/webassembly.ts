/**
 * The slice of the global `WebAssembly` API this package uses, typed here because the
 * configuration compiles against ES2023 + @types/node 20, neither of which declares it.
 */
export interface WasmModule {
  readonly __brand?: 'WebAssembly.Module'
}

export interface WasmImport {
  module: string
  name: string
  kind: 'function' | 'table' | 'memory' | 'global' | 'tag'
}

export interface WasmExport {
  name: string
  kind: WasmImport['kind']
}

interface WebAssemblyApi {
  compile(bytes: Uint8Array): Promise<WasmModule>
  instantiate(module: WasmModule, imports: object): Promise<object>
  Module: {
    imports(module: WasmModule): WasmImport[]
    exports(module: WasmModule): WasmExport[]
  }
}

export const WASM: WebAssemblyApi = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly
