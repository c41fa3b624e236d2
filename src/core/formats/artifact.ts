import { ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME, ANNOTATION_TITLE, ARCHITECTURE_WASM, MEDIA_TYPE_WASM_CONFIG, MEDIA_TYPE_WASM_LAYER, OS_WASIP1, OS_WASIP2 } from '../constants.ts'
import { readComponentWorld } from '../component.ts'
import { jsonBytes } from '../json.ts'
import { type ImagePlan, bytesBlob, fileBlob, manifestBlob } from '../plan.ts'
import { readWasmFileInfo } from '../wasm.ts'
import { formatCreated } from './created.ts'
import { HASHING } from './digester.ts'
import { type ImageName, imageReference } from './name.ts'
import { type ModuleInput, singleModule } from './single.ts'

export interface ArtifactOptions {
  /** The config's `author`. @default null */
  author?: string
}

export interface ArtifactInput extends ImageName, ModuleInput, ArtifactOptions {
  /** Seconds since the epoch for the config's `created`. */
  sourceDateEpoch: number
}

/**
 * The CNCF TAG-Runtime "Wasm OCI Artifact" that wkg, wasmCloud and Spin pull: one raw
 * `application/wasm` layer and a `application/vnd.wasm.config.v0+json` config whose keys follow
 * the reference tool's struct (bytecodealliance/rust-oci-wasm `WasmConfig`, compact serde JSON):
 * created, author, architecture, os, layerDigests, component.
 *
 * The index descriptor carries no `platform`: `ctr images import` drops a descriptor whose
 * platform is not the host's unless given --all-platforms, and no runtime picks an artifact by
 * platform (a registry pull never sees index.json; wkg reads os from the config). Upstream's
 * `oci-tar-builder -a` writes `wasm/wasip1` there, so its archive needs --all-platforms.
 */
export async function planArtifactImage(input: ArtifactInput): Promise<ImagePlan> {
  const { reference, tag } = imageReference(input)
  const module = singleModule(input, 'artifact')
  const { kind } = await readWasmFileInfo(module)
  const layer = await fileBlob(MEDIA_TYPE_WASM_LAYER, module, { [ANNOTATION_TITLE]: `${input.name}.wasm` }, (input.digester ?? HASHING).file)
  const world = kind === 'component' ? await readComponentWorld(module) : null
  const config = bytesBlob(
    MEDIA_TYPE_WASM_CONFIG,
    jsonBytes({
      created: formatCreated(input.sourceDateEpoch),
      author: input.author ?? null,
      architecture: ARCHITECTURE_WASM,
      os: kind === 'component' ? OS_WASIP2 : OS_WASIP1,
      layerDigests: [layer.descriptor.digest],
      component: world && { exports: world.exports, imports: world.imports, target: world.target },
    }),
  )
  return {
    reference,
    refName: tag,
    indexAnnotations: { [ANNOTATION_CONTAINERD_NAME]: reference, [ANNOTATION_REF_NAME]: tag },
    manifest: manifestBlob({ config, layers: [layer], ...(input.annotations && { annotations: input.annotations }) }),
    config,
    layers: [layer],
  }
}
