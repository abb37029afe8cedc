// After `vite build`: a brotli (.br) and a gzip (.gz) copy beside every text asset in
// static/, made once here so the server never compresses a file per request
// (backend/static.py picks one by Accept-Encoding). Node's own zlib, no dependency.
// A copy that would not be smaller is not written.
import { readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

const ROOT = fileURLToPath(new URL('../static/', import.meta.url))
const TEXT = /\.(js|mjs|css|html|svg|json|webmanifest|txt|map)$/
const MIN_BYTES = 1024 // below one packet, compressing buys nothing

async function* files(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* files(path)
    else yield path
  }
}

const encoders = {
  br: (data) => brotliCompressSync(data, { params: {
    [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
    [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
    [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }),
  gz: (data) => gzipSync(data, { level: 9 }),
}

let raw = 0
const packed = { br: 0, gz: 0 }
let count = 0
for await (const path of files(ROOT)) {
  if (!TEXT.test(path) || (await stat(path)).size < MIN_BYTES) continue
  const data = await readFile(path)
  count += 1
  raw += data.length
  for (const [ext, encode] of Object.entries(encoders)) {
    const out = encode(data)
    if (out.length < data.length) {
      await writeFile(`${path}.${ext}`, out)
      packed[ext] += out.length
    } else {
      await unlink(`${path}.${ext}`).catch(() => {})
      packed[ext] += data.length
    }
  }
}
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`
console.log(`compressed ${count} files: ${kb(raw)} → br ${kb(packed.br)}, gzip ${kb(packed.gz)}`)
