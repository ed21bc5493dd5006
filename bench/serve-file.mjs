// A static file server for bench/download-vs-curl.sh: one file at every path, on 127.0.0.1 only,
// with what a download client may ask of a mirror (Range "bytes=N-", 206/416, a strong ETag).
// Usage: node bench/serve-file.mjs FILE [MIB_PER_S]   → prints the port, serves until killed.
// MIB_PER_S caps each response's rate, to play a network link slower than loopback.
import {createReadStream, statSync} from 'node:fs'
import {createServer} from 'node:http'
import {Transform} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {setTimeout as delay} from 'node:timers/promises'

const file = process.argv[2]
if (!file) {
  process.stderr.write('usage: serve-file.mjs FILE\n')
  process.exit(2)
}
const rate = Number(process.argv[3] ?? 0) * 1024 * 1024
const {size, mtimeMs} = statSync(file)

/** Holds each chunk back until the bytes before it could have gone out at `rate`. */
function throttle() {
  const started = performance.now()
  let sent = 0
  return new Transform({
    async transform(chunk, _encoding, done) {
      const due = started + (sent / rate) * 1000
      if (due > performance.now()) await delay(due - performance.now())
      sent += chunk.length
      done(null, chunk)
    },
  })
}
const etag = `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`

const server = createServer((req, res) => {
  const asked = /^bytes=(\d+)-$/.exec(req.headers.range ?? '')
  const ifRange = req.headers['if-range']
  const from = asked && (!ifRange || ifRange === etag) ? Number(asked[1]) : undefined
  if (from !== undefined && from >= size) {
    res.writeHead(416, {'content-range': `bytes */${size}`, etag}).end()
    return
  }
  const start = from ?? 0
  res.writeHead(from === undefined ? 200 : 206, {
    'content-length': String(size - start),
    'content-type': 'application/octet-stream',
    'accept-ranges': 'bytes',
    etag,
    ...(from === undefined ? {} : {'content-range': `bytes ${start}-${size - 1}/${size}`}),
  })
  // 1 MiB reads: the server should cost both clients as little CPU as it can.
  const body = createReadStream(file, {start, highWaterMark: 1024 * 1024})
  ;(rate > 0 ? pipeline(body, throttle(), res) : pipeline(body, res)).catch(() => res.destroy())
})
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`))
