import {
  ANNOTATION_CONTAINERD_NAME,
  ARCHITECTURE_WASM,
  OS_WASIP1,
  ANNOTATION_REF_NAME,
  LABEL_RUNWASI_LAYERS,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_WASM_COMPONENT_LAYER,
} from '../constants.ts'
import { sha256Hex } from '../digest.ts'
import { jsonBytes } from '../json.ts'
import { type Blob, type ImagePlan, bytesBlob, fileBlob, manifestBlob, uniqueBlobs } from '../plan.ts'
import { readWasmFileInfo } from '../wasm.ts'
import { type Digester, HASHING } from './digester.ts'
import { type ImageName, imageReference } from './name.ts'

export interface LayerInput {
  mediaType: string
  path: string
}

export interface RunwasiInput extends ImageName {
  /** Wasm modules or components, each one layer in the order given. */
  modules: string[]
  /** Extra layers of any media type (`oci-tar-builder -l MEDIATYPE=PATH`), after the modules. */
  layers?: LayerInput[]
  /** Manifest annotations after the two naming ones (changes the digest away from runwasi's). */
  annotations?: Record<string, string>
  /** How layer digests are found. @default HASHING */
  digester?: Digester
}

/**
 * runwasi's "wasm layers" image, as its `oci-tar-builder` writes it: raw module layers, a
 * pretty-printed config whose `containerd.runwasi.layers` label is the sha256 of the layers'
 * concatenated hex digests, and a compact manifest annotated with the image name.
 */
export async function planRunwasiImage(input: RunwasiInput): Promise<ImagePlan> {
  const { reference, tag } = imageReference(input)
  if (input.modules.length === 0 && (input.layers ?? []).length === 0) {
    throw new TypeError('planRunwasiImage: give at least one module or layer')
  }
  const { file } = input.digester ?? HASHING
  const layers: Blob[] = []
  for (const path of input.modules) {
    await readWasmFileInfo(path)
    layers.push(await fileBlob(MEDIA_TYPE_WASM_COMPONENT_LAYER, path, undefined, file))
  }
  for (const layer of input.layers ?? []) layers.push(await fileBlob(layer.mediaType, layer.path, undefined, file))
  const unique = uniqueBlobs(layers)

  const layersLabel = sha256Hex(unique.map((layer) => layer.descriptor.digest.slice('sha256:'.length)).join(''))
  const config = bytesBlob(
    MEDIA_TYPE_OCI_CONFIG,
    jsonBytes(
      {
        architecture: ARCHITECTURE_WASM,
        os: OS_WASIP1,
        config: { Entrypoint: [`${input.name}.wasm`], Labels: { [LABEL_RUNWASI_LAYERS]: layersLabel } },
        rootfs: { type: 'layers', diff_ids: [] },
      },
      'pretty',
    ),
  )
  const annotations = { [ANNOTATION_CONTAINERD_NAME]: reference, [ANNOTATION_REF_NAME]: tag, ...input.annotations }
  return {
    reference,
    refName: tag,
    indexAnnotations: { [ANNOTATION_CONTAINERD_NAME]: reference, [ANNOTATION_REF_NAME]: tag },
    platform: { architecture: ARCHITECTURE_WASM, os: OS_WASIP1 },
    manifest: manifestBlob({ config, layers: unique, annotations }),
    config,
    layers: unique,
  }
}
