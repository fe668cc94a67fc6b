#!/usr/bin/env bash
# One-time (and idempotent) set-up on a Debian machine: the Debian packages the
# PDF scorecards need, a virtualenv in .venv, and this project installed in it.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: fonts with real bold faces for Chinese, HarfBuzz subsetting
# (without it WeasyPrint silently takes ~25x longer), Pango, pdftoppm/pdftotext, and LibreOffice Calc
# (headless: tests re-save and print the Excel workbooks with it).
pkgs=(fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 poppler-utils libreoffice-calc-nogui)
# Debian's chromium: the site's browser tests drive it with Playwright (tests/site/).
pkgs+=(chromium)
python3 -c "import ensurepip, venv" 2>/dev/null || pkgs+=(python3-venv)
# Node and npm run the real YAML language server in tests/test_editor_lsp.py. Checked by command, not by
# package: a machine may have Node from elsewhere (whose nodejs package conflicts with Debian's npm).
{ command -v node && command -v npm; } >/dev/null 2>&1 || pkgs+=(nodejs npm)
missing=()
for pkg in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "安装系统软件包：${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

python3 - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit("需要 Python 3.11 或更新版本，当前为 %s" % sys.version.split()[0])
PY

if [ ! -x .venv/bin/python ]; then
  echo "创建虚拟环境 .venv"
  python3 -m venv .venv
fi
# Reinstall only when the project's dependencies changed.
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "安装 Python 依赖包（日志：.venv/pip.log）"
  if ! { .venv/bin/python -m pip install -q --upgrade pip && .venv/bin/python -m pip install -q -e ".[dev,site,cluster]"; } \
      > .venv/pip.log 2>&1; then
    cat .venv/pip.log
    echo "安装 Python 依赖包失败，详见上面的日志" >&2
    exit 1
  fi
  touch "$stamp"
fi

# yaml-language-server for the editor test, pinned by scripts/editor/package-lock.json, in .tools/
# (not committed). Reinstalled only when the lock file changed or the install is incomplete.
if ! cmp -s scripts/editor/package-lock.json .tools/package-lock.json \
    || [ ! -f .tools/node_modules/yaml-language-server/package.json ]; then
  echo "安装编辑器检查工具 yaml-language-server（日志：.tools/npm.log）"
  rm -rf .tools && mkdir -p .tools
  cp scripts/editor/package.json scripts/editor/package-lock.json .tools/
  if ! (cd .tools && npm ci --no-audit --no-fund --loglevel=error) > .tools/npm.log 2>&1; then
    cat .tools/npm.log
    rm -f .tools/package-lock.json  # try again next time
    echo "安装 yaml-language-server 失败，详见上面的日志" >&2
    exit 1
  fi
fi
