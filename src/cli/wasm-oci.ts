#!/usr/bin/env node
process.stderr.write('wasm-oci: not yet implemented\n'); process.exitCode = 2
