import { ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME, ARCHITECTURE_WASM, MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_OCI_LAYER_TAR, MEDIA_TYPE_OCI_LAYER_TAR_GZIP, OS_WASI } from '../constants.ts'
import { usageError } from '../errors.ts'
import { jsonBytes } from '../json.ts'
import { type Blob, type ImagePlan, bytesBlob, manifestBlob } from '../plan.ts'
import { readWasmFileInfo } from '../wasm.ts'
import { type Compression, type LayerFile, openLayerTar } from './compat-layer.ts'
import { HASHING } from './digester.ts'
import { formatCreated } from './created.ts'
import { type ImageName, imageReference } from './name.ts'
import { type ModuleInput, singleModule } from './single.ts'

export interface CompatOptions {
  /**
   * How the layer tar is stored. `gzip` makes a smaller blob whose bytes are reproducible only
   * with the same zlib version and level; the diff_id (of the tar inside) is stable either way.
   * @default 'none'
   */
  compression?: Compression
}

export interface CompatInput extends ImageName, ModuleInput, CompatOptions {
  /** Seconds since the epoch for the config's `created` and the layer entry's mtime. */
  sourceDateEpoch: number
}

const COMPRESSIONS: readonly Compression[] = ['none', 'gzip']

/**
 * The "compat" rootfs image Docker+Wasm and podman with crun-wasm run: one tar layer holding
 * `/<name>.wasm`, platform `wasi/wasm`, Entrypoint `["/<name>.wasm"]`, the tar's sha256 as the
 * diff_id. The layer tar is generated twice, once here to hash it and once while the archive is
 * written, so it is never held in memory.
 */
export async function planCompatImage(input: CompatInput): Promise<ImagePlan> {
  const { reference, tag } = imageReference(input)
  const compression = input.compression ?? 'none'
  if (!COMPRESSIONS.includes(compression)) throw usageError(`compression "${String(compression)}" is not known: use one of ${COMPRESSIONS.join(', ')}`)
  const module = singleModule(input, 'compat')
  const entrypoint = `${input.name}.wasm`
  const file: LayerFile = { path: module, name: entrypoint, size: (await readWasmFileInfo(module)).size, mtime: input.sourceDateEpoch }
  const { digest, size, diffId } = await (input.digester ?? HASHING).layerTar(file, compression)
  const layer: Blob = {
    descriptor: { mediaType: compression === 'gzip' ? MEDIA_TYPE_OCI_LAYER_TAR_GZIP : MEDIA_TYPE_OCI_LAYER_TAR, digest, size },
    content: { kind: 'stream', open: () => openLayerTar(file, compression) },
  }
  const config = bytesBlob(
    MEDIA_TYPE_OCI_CONFIG,
    jsonBytes({
      created: formatCreated(input.sourceDateEpoch),
      architecture: ARCHITECTURE_WASM,
      os: OS_WASI,
      config: { Entrypoint: [`/${entrypoint}`] },
      rootfs: { type: 'layers', diff_ids: [diffId] },
    }),
  )
  return {
    reference,
    refName: tag,
    indexAnnotations: { [ANNOTATION_CONTAINERD_NAME]: reference, [ANNOTATION_REF_NAME]: tag },
    platform: { architecture: ARCHITECTURE_WASM, os: OS_WASI },
    manifest: manifestBlob({ config, layers: [layer], ...(input.annotations && { annotations: input.annotations }) }),
    config,
    layers: [layer],
  }
}
