#!/usr/bin/env bash
# Regenerates docs/images/editor-completion.png: the real template and schema in Monaco editor with
# monaco-yaml (which embeds yaml-language-server), in Debian's Chromium. Everything it installs goes
# into a temporary folder that is removed afterwards; only the PNG is kept (and committed).
# Needs: node >= 20 and npm, Debian's chromium (apt-get install chromium), .venv (scripts/setup.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$(realpath -m "${1:-$root/docs/images/editor-completion.png}")"
here="$root/docs/tools"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"
echo '{"private": true}' > package.json
npm install --no-audit --no-fund --loglevel=error \
  monaco-editor@0.52.2 monaco-yaml@5.5.1 esbuild@0.28.2 playwright-core@1.65.1 >/dev/null

mkdir site
"$root/.venv/bin/scoring" template ordos-otqq-zjj-2017 -o site/template.yaml 2>/dev/null
schema=ordos-otqq-zjj-2017.submission.schema.json
mv "site/$schema" site/schema.json
cp "$here/editor_page.html" site/
cp "$here/editor_page.js" .  # resolved against this folder's node_modules
build() { node_modules/.bin/esbuild --bundle --log-level=error "$@"; }
build editor_page.js --format=esm --outfile=site/editor_page.js --loader:.ttf=file
build node_modules/monaco-editor/esm/vs/editor/editor.worker.js --format=iife --outfile=site/editor.worker.js
build node_modules/monaco-yaml/yaml.worker.js --format=iife --outfile=site/yaml.worker.js
cp "$here/editor_screenshot.mjs" .
node editor_screenshot.mjs site "$schema" "$out"
echo "已生成 $out（$(stat -c %s "$out") 字节）"
