// vm's download path alone, for bench/download-vs-curl.sh: downloadResumable from the built dist/
// into PART, silent, sha256 only (as for an Ubuntu or Fedora image). Prints one JSON line with the
// seconds spent inside downloadResumable (the process's start-up is timed by the script).
// Usage: node bench/vm-download.mjs URL PART
import {downloadResumable} from '../dist/box/download.js'
import {silentProgress} from '../dist/box/progress.js'

const [url, partPath] = process.argv.slice(2)
if (!url || !partPath) {
  process.stderr.write('usage: vm-download.mjs URL PART\n')
  process.exit(2)
}
const started = performance.now()
const file = await downloadResumable({urls: [url], partPath, label: 'bench', sha512: process.env.BENCH_SHA512 === '1', progress: silentProgress})
const seconds = (performance.now() - started) / 1000
process.stdout.write(`${JSON.stringify({seconds, size: file.size, sha256: file.sha256, fetchedBytes: file.fetchedBytes})}\n`)
