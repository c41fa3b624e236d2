import { usageError } from '../errors.ts'
import type { Digester } from './digester.ts'
import type { LayerInput } from './runwasi.ts'

/** The fields every format shares with runwasi's: the wasm to pack and extra manifest annotations. */
export interface ModuleInput {
  modules: string[]
  layers?: LayerInput[]
  /** Manifest annotations. */
  annotations?: Record<string, string>
  /** How layer digests are found. @default HASHING */
  digester?: Digester
}

/** The artifact and compat formats hold exactly one module and nothing else; returns its path. */
export function singleModule({ modules, layers }: ModuleInput, format: string): string {
  if ((layers ?? []).length > 0) {
    throw usageError(`format "${format}" holds only the wasm module, not extra layers (${layers!.map((layer) => layer.path).join(', ')}): drop -l/--layer, or use the runwasi format`)
  }
  const [module, ...rest] = modules
  if (module === undefined) throw usageError(`format "${format}" packs one wasm module: give the path of the .wasm file`)
  if (rest.length > 0) {
    throw usageError(`format "${format}" holds exactly one module, but ${modules.length} were given (${modules.join(', ')}): pack each into its own archive (\`wasm-oci build\` does that), or use the runwasi format for several layers`)
  }
  return module
}
