// new URL(…, import.meta.url) makes Vite emit each module as dist/assets/<name>-<hash>.wasm,
// which the plugin packs into dist/oci/<name>.tar.
const MODULES = {
  hello: new URL('./wasm/hello.wasm', import.meta.url),
  add: new URL('./wasm/add.wasm', import.meta.url),
  fib: new URL('./wasm/fib.wasm', import.meta.url),
}

async function instantiate(url, imports = {}) {
  const response = await fetch(url)
  const { instance } = await WebAssembly.instantiate(await response.arrayBuffer(), imports)
  return instance
}

/** Just enough of WASI preview 1 for hello's `_start`: fd_write collects what it prints. */
function captureStdout() {
  let memory
  let text = ''
  const fd_write = (_fd, iovs, iovsLen, nwritten) => {
    const view = new DataView(memory.buffer)
    let written = 0
    for (let i = 0; i < iovsLen; i++) {
      const ptr = view.getUint32(iovs + i * 8, true)
      const len = view.getUint32(iovs + i * 8 + 4, true)
      text += new TextDecoder().decode(new Uint8Array(memory.buffer, ptr, len))
      written += len
    }
    view.setUint32(nwritten, written, true)
    return 0
  }
  return {
    imports: { wasi_snapshot_preview1: { fd_write } },
    bind: (instance) => (memory = instance.exports.memory),
    text: () => text,
  }
}

async function main() {
  const stdout = captureStdout()
  const hello = await instantiate(MODULES.hello, stdout.imports)
  stdout.bind(hello)
  hello.exports._start()
  const { add } = (await instantiate(MODULES.add)).exports
  const { fib } = (await instantiate(MODULES.fib)).exports
  document.querySelector('#output').textContent = [
    `hello.wasm printed: ${stdout.text().trim()}`,
    `add(2, 3) = ${add(2, 3)}`,
    `fib(50) = ${fib(50)}`,
  ].join('\n')
}

main()
