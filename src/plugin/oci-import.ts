import { stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { planImage } from '../core/formats/index.ts'
import { pluginError } from './errors.ts'
import { displayPath } from './logger.ts'
import { defaultImageName } from './naming.ts'
import { OCI_ID_PREFIX, formatOciId, parseOciId, parseOciRequest } from './oci-id.ts'
import { createPlanInput } from './plan-input.ts'
import type { ImportedImage, PackSession } from './session.ts'
import type { OciImage } from './types.ts'

/** The part of Rollup's, Vite's and Rolldown's plugin context used here; webpack, Rspack and esbuild lack `resolve`. */
export interface ResolveContextLike {
  resolve?: (source: string, importer?: string, options?: { skipSelf?: boolean }) => Promise<{ id: string; external?: boolean | string } | null>
}
export interface LoadContextLike {
  addWatchFile(id: string): void
}

/** `./add.wasm?oci&tag=v2` → `\0wasm-oci:/app/add.wasm?oci&tag=v2`, the query checked, the file found. */
export async function resolveOciRequest(context: ResolveContextLike, session: PackSession, request: string, importer: string | undefined): Promise<string> {
  // Already ours: Vite's dev server resolves `/@id/__x00__wasm-oci:…` when the browser asks for it.
  if (request.startsWith(OCI_ID_PREFIX)) return request
  const { path, query } = parseOciRequest(request, importer)
  return formatOciId(await findWasm(context, session, path, importer), query)
}

/** The JS module of a `?oci` import: plans its image now, so the digest is known; the archive is written with the bundle. */
export async function loadOciModule(context: LoadContextLike, session: PackSession, id: string): Promise<string> {
  const image = await planImport(session, id)
  context.addWatchFile(image.source)
  return imageModule(image)
}

/** Plans a `?oci` module's image and remembers it, so the archive is written from this very plan. */
export function planImport(session: PackSession, id: string): Promise<ImportedImage> {
  const pending = planFresh(session, id)
  session.imports.set(id, pending)
  pending.catch(() => {
    if (session.imports.get(id) === pending) session.imports.delete(id)
  })
  return pending
}

/**
 * The plan a `?oci` module was generated from, for writing its archive: re-planned when the
 * module was loaded by an earlier instance (a bundler cache) or the file changed since; a
 * changed digest then fails the build, since the bundle states the old one.
 */
export async function currentImport(session: PackSession, id: string): Promise<ImportedImage> {
  const known = session.imports.get(id)
  if (!known) return planImport(session, id)
  const image = await known
  const now = await stat(image.source).catch(() => undefined)
  if (now?.size === image.stat.size && now.mtimeMs === image.stat.mtimeMs) return image
  const again = await planImport(session, id)
  const [before, after] = [image.plan.manifest.descriptor.digest, again.plan.manifest.descriptor.digest]
  if (before !== after) {
    throw pluginError(`${displayPath(image.source)} changed after the build generated its ?oci module (manifest ${before} then, ${after} now), so its archive would not match the digest in the bundle: build again`)
  }
  return again
}

async function planFresh(session: PackSession, id: string): Promise<ImportedImage> {
  const { path, query } = parseOciId(id)
  const { options } = session
  const before = await stat(path).catch((error: unknown) => {
    throw pluginError(`cannot read ${displayPath(path)} (imported with ?oci): ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  })
  const name = query.name ?? defaultImageName(path, path)
  const format = query.format ?? options.format
  try {
    const input = await createPlanInput(session, { name, format, path, repo: query.repo ?? options.repo, tag: query.tag ?? options.tag })
    const plan = await planImage(input)
    return { id, source: path, name, format, plan, stat: { size: before.size, mtimeMs: before.mtimeMs } }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw pluginError(`cannot pack ${displayPath(path)} (imported with ?oci) as image "${name}": ${reason}`, { cause: error })
  }
}

/** `export default Object.freeze({ reference, digest, format, size, layers })`, every layer frozen too. */
export function imageModule(image: ImportedImage): string {
  const { plan } = image
  const value: OciImage = {
    reference: plan.reference,
    digest: plan.manifest.descriptor.digest,
    format: image.format,
    size: plan.manifest.descriptor.size,
    layers: plan.layers.map(({ descriptor: { mediaType, digest, size } }) => ({ mediaType, digest, size })),
  }
  const freeze = (body: string) => `/* @__PURE__ */ Object.freeze(${body})`
  const layers = value.layers.map((layer) => freeze(JSON.stringify(layer))).join(', ')
  const fields = [
    `reference: ${JSON.stringify(value.reference)}`,
    `digest: ${JSON.stringify(value.digest)}`,
    `format: ${JSON.stringify(value.format)}`,
    `size: ${value.size}`,
    `layers: ${freeze(`[${layers}]`)}`,
  ]
  return `export default ${freeze(`{ ${fields.join(', ')} }`)}\n`
}

async function findWasm(context: ResolveContextLike, session: PackSession, path: string, importer: string | undefined): Promise<string> {
  if (typeof context.resolve === 'function') {
    // The bundler's own resolution: Vite's aliases and root-relative paths, Rollup's resolvers.
    const resolved = await context.resolve(path, importer, { skipSelf: true }).catch(() => null)
    const file = resolved && !resolved.external ? resolved.id.replace(/[?#].*$/, '') : undefined
    if (file !== undefined && isAbsolute(file) && (await isFile(file))) return file
  }
  const base = importer !== undefined && isAbsolute(importer) ? dirname(importer) : session.root
  let file: string | undefined
  if (path.startsWith('.') || isAbsolute(path)) file = resolve(base, path)
  else {
    try {
      file = createRequire(join(base, 'noop.js')).resolve(path)
    } catch {}
  }
  if (file !== undefined && (await isFile(file))) return file
  const by = importer !== undefined ? ` imported by ${displayPath(importer)}` : ''
  throw pluginError(`cannot find "${path}"${by} with ?oci${file !== undefined ? ` (looked at ${displayPath(file)})` : ''}: check the path`, { usage: true })
}

function isFile(path: string): Promise<boolean> {
  return stat(path).then((stats) => stats.isFile(), () => false)
}
