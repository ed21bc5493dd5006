/**
 * Runs one downloadResumable in a process of its own, for the test that kills it with SIGKILL
 * mid-transfer: `node --import tsx test/helpers/download-child.ts URL PART_PATH`.
 * Prints the result as JSON on stdout if it ever completes.
 */
import {downloadResumable} from '../../src/box/download.js'
import {silentProgress} from '../../src/box/progress.js'

const [url, partPath] = process.argv.slice(2)
if (!url || !partPath) {
  process.stderr.write('usage: download-child.ts URL PART_PATH\n')
  process.exit(2)
}
const file = await downloadResumable({
  urls: [url],
  partPath,
  label: 'Downloading child',
  sha512: false,
  progress: silentProgress,
  retry: {attemptsPerUrl: 1, initialDelayMs: 10, maxDelayMs: 10},
})
process.stdout.write(`${JSON.stringify(file)}\n`)
