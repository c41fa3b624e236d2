import { assertFormat, type Format } from '../core/formats/index.ts'
import { toPathComponent, validateTag } from '../core/reference.ts'
import { pluginError, rethrowPrefixed } from './errors.ts'
import { resolveRepo } from './options.ts'

/**
 * The id of a `?oci` module. The `\0` keeps other plugins (Vite's asset plugin, @rollup/plugin-wasm)
 * off it; webpack and Rspack get it as an unplugin virtual module, esbuild in the plugin's namespace.
 */
export const OCI_ID_PREFIX = '\0wasm-oci:'
/** The prefix as unplugin encodes it into webpack's and Rspack's virtual module paths. */
const ENCODED_PREFIX = encodeURIComponent(OCI_ID_PREFIX)
/** An import whose query has an `oci` key: `./add.wasm?oci`, `./add.wasm?tag=v2&oci`. */
export const OCI_REQUEST = /\?(?:[^#]*&)?oci(?:[=&#]|$)/
export const QUERY_OPTIONS = ['format', 'name', 'repo', 'tag'] as const
const WASM_FILE = /\.wasm$/i

/** What a `?oci` query overrides. */
export interface OciQuery {
  format?: Format
  name?: string
  repo?: string
  tag?: string
}

/** Splits `./add.wasm?oci&tag=v2` into the path and its checked query; throws a usage error naming the import and the fix. */
export function parseOciRequest(request: string, importer: string | undefined): { path: string; query: OciQuery } {
  const question = request.indexOf('?')
  const path = request.slice(0, question)
  const where = `"${request}"${importer ? ` (imported by ${importer.replace(/^.*[\\/]/, '')})` : ''}`
  if (!WASM_FILE.test(path)) {
    throw pluginError(`${where}: ?oci packs a WebAssembly module into an OCI image, and "${path}" is not a .wasm file: import a .wasm file with ?oci`, { usage: true })
  }
  const params = new URLSearchParams(request.slice(question + 1).replace(/#.*$/, ''))
  const query: Record<string, string> = {}
  for (const [key, value] of params) {
    if (key === 'oci') {
      if (value !== '') throw pluginError(`${where}: oci takes no value: write ?oci, with options after it such as ?oci&tag=v2`, { usage: true })
      continue
    }
    if (!(QUERY_OPTIONS as readonly string[]).includes(key)) {
      throw pluginError(`${where}: unknown ?oci option "${key}": use ${QUERY_OPTIONS.join(', ')} (e.g. ?oci&format=artifact&tag=v2)`, { usage: true })
    }
    if (key in query) throw pluginError(`${where}: ?oci option "${key}" is given twice: keep one`, { usage: true })
    if (value === '') throw pluginError(`${where}: ?oci option "${key}" has no value: give one (${key}=…) or leave it out`, { usage: true })
    query[key] = value
  }
  if (query.name !== undefined && toPathComponent(query.name) !== query.name) {
    throw pluginError(`${where}: ?oci option name "${query.name}" is not a valid image name: use lowercase letters, digits, '.', '_' and '-', such as ${toPathComponent(query.name) ?? 'add'}`, { usage: true })
  }
  try {
    return {
      path,
      query: {
        ...(query.format !== undefined && { format: assertFormat(query.format, `${where}: ?oci option format`) }),
        ...(query.name !== undefined && { name: query.name }),
        ...(query.repo !== undefined && { repo: resolveRepo(query.repo, `${where}: ?oci option repo`) }),
        ...(query.tag !== undefined && { tag: validateTag(query.tag, `${where}: ?oci option tag`) }),
      },
    }
  } catch (error) {
    rethrowPrefixed(error)
  }
}

/** The module id for a resolved path and query: options in a fixed order, so one image is one module. */
export function formatOciId(path: string, query: OciQuery): string {
  const params = QUERY_OPTIONS.filter((key) => query[key] !== undefined).map((key) => `&${key}=${encodeURIComponent(query[key]!)}`)
  return `${OCI_ID_PREFIX}${path}?oci${params.join('')}`
}

/** The inverse of `formatOciId`, for ids this plugin made (already checked). */
export function parseOciId(id: string): { path: string; query: OciQuery } {
  const body = id.slice(OCI_ID_PREFIX.length)
  const question = body.lastIndexOf('?oci')
  const params = new URLSearchParams(body.slice(question + 1))
  const query: OciQuery = {}
  for (const key of QUERY_OPTIONS) {
    const value = params.get(key)
    if (value !== null) (query as Record<string, string>)[key] = value
  }
  return { path: body.slice(0, question), query }
}

/**
 * The `?oci` id inside a module's id or resource, as each bundler shows it: as is (Rollup, Vite,
 * Rolldown), after esbuild's namespace (`unplugin-wasm-oci:\0wasm-oci:…`), or URI-encoded in
 * a webpack/Rspack virtual module path.
 */
export function findOciId(text: string | undefined): string | undefined {
  if (text === undefined) return undefined
  const plain = text.indexOf(OCI_ID_PREFIX)
  if (plain !== -1) return text.slice(plain)
  const encoded = text.indexOf(ENCODED_PREFIX)
  if (encoded === -1) return undefined
  try {
    return decodeURIComponent(text.slice(encoded).replace(/[?#].*$/, ''))
  } catch {
    return undefined
  }
}
