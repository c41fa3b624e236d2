/** Media types, annotation keys and tar modes, each defined once. */

export const MEDIA_TYPE_OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
export const MEDIA_TYPE_OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
export const MEDIA_TYPE_OCI_CONFIG = 'application/vnd.oci.image.config.v1+json'
export const MEDIA_TYPE_OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar'
export const MEDIA_TYPE_OCI_LAYER_TAR_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip'
export const MEDIA_TYPE_WASM_COMPONENT_LAYER = 'application/vnd.bytecodealliance.wasm.component.layer.v0+wasm'
export const MEDIA_TYPE_WASM_LAYER = 'application/wasm'
export const MEDIA_TYPE_WASM_CONFIG = 'application/vnd.wasm.config.v0+json'

export const ANNOTATION_CONTAINERD_NAME = 'io.containerd.image.name'
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name'
export const ANNOTATION_TITLE = 'org.opencontainers.image.title'
export const LABEL_RUNWASI_LAYERS = 'containerd.runwasi.layers'

export const OCI_LAYOUT_FILE = 'oci-layout'
export const OCI_LAYOUT_VERSION = '1.0.0'
export const INDEX_FILE = 'index.json'
export const DOCKER_MANIFEST_FILE = 'manifest.json'
export const BLOBS_DIR = 'blobs/'
export const BLOBS_SHA256_DIR = 'blobs/sha256/'

export const FILE_MODE = 0o644
export const DIR_MODE = 0o755
/** Blobs are content-addressed and never edited in place, as upstream writes them. */
export const BLOB_MODE = 0o444

export const ARCHITECTURE_WASM = 'wasm'
/** The artifact config's `os` for a core module (also runwasi's image os). */
export const OS_WASIP1 = 'wasip1'
/** The artifact config's `os` for a component. */
export const OS_WASIP2 = 'wasip2'
/** The compat image's os: podman maps only `wasi/wasm` to crun-wasm, and containerd matches platforms exactly. */
export const OS_WASI = 'wasi'

/**
 * The module's mode inside a compat layer: executable, because crun resolves the entrypoint like
 * any binary (a non-executable file is "not found in $PATH") before handing it to its wasm handler.
 */
export const EXECUTABLE_MODE = 0o755
/** zlib level for a gzip compat layer; the bytes are reproducible only with the same zlib and level. */
export const GZIP_LEVEL = 9

/** Every tar header is one block, and every entry's content is padded to whole blocks. */
export const TAR_BLOCK = 512
/** The first two bytes of a gzip stream. */
export const GZIP_MAGIC: readonly number[] = [0x1f, 0x8b]
