// The page behind docs/images/editor-completion.png: Monaco with monaco-yaml (which embeds
// yaml-language-server), showing a real `scoring template` file and its real schema.
import * as monaco from 'monaco-editor'
import { configureMonacoYaml } from 'monaco-yaml'

globalThis.MonacoEnvironment = {
  getWorker(_moduleId, label) {
    return new Worker(label === 'yaml' ? './yaml.worker.js' : './editor.worker.js')
  },
}

const [text, schema] = await Promise.all([
  fetch('./template.yaml').then((r) => r.text()),
  fetch('./schema.json').then((r) => r.json()),
])
const name = new URLSearchParams(location.search).get('schema')
configureMonacoYaml(monaco, {
  enableSchemaRequest: false,
  // the URI the template's `$schema=<name>` line resolves to, beside the file
  schemas: [{ uri: `file:///${name}`, fileMatch: ['never-matched'], schema }],
})
const model = monaco.editor.createModel(text, 'yaml', monaco.Uri.parse('file:///我的自评.yaml'))
const editor = monaco.editor.create(document.getElementById('editor'), {
  model,
  fontSize: 14,
  minimap: { enabled: false },
  automaticLayout: true,
  scrollBeyondLastLine: false,
  renderWhitespace: 'none',
  fontFamily: "'Noto Sans Mono CJK SC', 'DejaVu Sans Mono', monospace",
})
globalThis.editor = editor
globalThis.monaco = monaco
globalThis.markers = () => monaco.editor.getModelMarkers({ resource: model.uri })
