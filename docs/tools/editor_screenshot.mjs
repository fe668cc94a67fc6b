// Drives Debian's Chromium (playwright-core, never a downloaded browser) over the page built by
// editor_screenshot.sh: edits the template as a user would, opens the completion list with its
// details pane, and saves the PNG. Usage: node editor_screenshot.mjs SITE_DIR SCHEMA_NAME OUT.png
import { createServer } from 'node:http'
import { readFile } from 'node:fs/promises'
import { extname, join, normalize } from 'node:path'
import { chromium } from 'playwright-core'

const [site, schemaName, out] = process.argv.slice(2)
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.ttf': 'font/ttf', '.yaml': 'text/plain; charset=utf-8' }
const server = createServer(async (req, res) => {
  let path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '')
  if (path === '/') path = '/editor_page.html'
  try {
    const body = await readFile(join(site, path))
    res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(body)
  } catch {
    res.writeHead(404).end()
  }
})
await new Promise((ok) => server.listen(0, '127.0.0.1', ok)) // an ephemeral port
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
})
try {
  const page = await browser.newPage({ viewport: { width: 1180, height: 800 }, locale: 'zh-CN' })
  page.on('pageerror', (e) => console.error('page error:', e.message))
  await page.goto(`http://127.0.0.1:${server.address().port}/?schema=${encodeURIComponent(schemaName)}`)
  await page.waitForFunction(() => globalThis.editor !== undefined)
  // as a user would: fill in a figure, type one wrongly, delete four facts and start typing one back
  await page.evaluate(() => {
    const model = editor.getModel()
    const find = (start) => model.getLinesContent().findIndex((l) => l.startsWith(start)) + 1
    const replace = (first, last, text) =>
      model.applyEdits([{ range: new monaco.Range(first, 1, last, model.getLineMaxColumn(last)), text }])
    replace(find('  published_total:'), find('  published_total:'), '  published_total: 30')
    replace(find('  published_normative:'), find('  published_normative:'), '  published_normative: 三')
    replace(find('  # 在本部门门户网站'), find('  published_other:'), '  publ')
    const n = model.getLinesContent().indexOf('  publ') + 1
    editor.revealLine(1)
    editor.setPosition({ lineNumber: n, column: 7 })
    editor.focus()
  })
  await page.waitForFunction(() => markers().length > 0, null, { timeout: 30000 })
  await page.keyboard.press('Control+Space')
  await page.waitForSelector('.suggest-widget.visible .monaco-list-row', { timeout: 30000 })
  await page.waitForTimeout(500)
  // the details pane (documentation of the focused item): Ctrl+Space again, as in VS Code
  await page.keyboard.press('Control+Space')
  await page.waitForSelector('.suggest-details-container .suggest-details', { state: 'visible', timeout: 30000 })
  await page.waitForTimeout(500)
  await page.screenshot({ path: out })
  console.log('markers:', JSON.stringify(await page.evaluate(() => markers().map((m) => [m.startLineNumber, m.message]))))
} finally {
  await browser.close()
  server.close()
}
