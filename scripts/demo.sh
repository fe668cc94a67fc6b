#!/usr/bin/env bash
# Command one: set up (if needed), then score the bundled examples and write scorecards to out/.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
S=.venv/bin/scoring

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. 检查评分细则"
$S validate rubrics/*.yaml || exit 1

step "2. 种子材料 001（鄂托克前旗住建局 2017 年）评分"
$S score examples/001-otqq-zjj-2017.yaml
$S render examples/001-otqq-zjj-2017.yaml --review examples/reviews/001-otqq-zjj-2017.review.yaml \
  -o out/001-otqq-zjj-2017.pdf --html out/001-otqq-zjj-2017.html --date 2018-03-01

step "3. 示例自评材料：评分表与汇总（out/examples/）"
$S batch examples -o out/examples --date 2018-03-01
step "4. 年度报告核查（out/reports/）"
$S batch examples/reports -o out/reports --date 2019-04-01
step "5. 批量评分 32 份材料，含两份故意写坏的文件（out/batch/）"
$S batch examples/batch --review-dir examples/batch/reviews -o out/batch --date 2018-03-05

step "6. Excel 自评表（out/workbook/）：空白表、用 001 填好的表、检查并转回 YAML"
mkdir -p out/workbook
$S template ordos-otqq-zjj-2017 --xlsx -o out/workbook/自评表-空白.xlsx
$S template ordos-otqq-zjj-2017 --xlsx --from examples/001-otqq-zjj-2017.yaml -o out/workbook/001-otqq-zjj-2017.xlsx
$S validate out/workbook/001-otqq-zjj-2017.xlsx
$S import out/workbook/001-otqq-zjj-2017.xlsx -o out/workbook/001-otqq-zjj-2017.yaml

step "7. 考核办内网填报网站：创建管理员、启动片刻、打开登录页、停止（数据在 out/site-demo/）"
rm -rf out/site-demo
$S serve --data out/site-demo --create-admin 演示管理员
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$S serve --data out/site-demo --port "$port" > out/site-demo/serve.log 2>&1 &
pid=$!
for _ in $(seq 50); do
  page=$(.venv/bin/python -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' \
    "http://127.0.0.1:$port/login" 2>/dev/null) && break
  sleep 0.2
done
kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
if grep -q "登录" <<<"$page"; then echo "网站已启动并返回登录页（http://127.0.0.1:$port/login），已停止"; else echo "网站没有响应，见 out/site-demo/serve.log"; exit 1; fi

step "完成"
cat <<'MSG'
评分表和汇总表在 out/ 文件夹中：
  out/001-otqq-zjj-2017.pdf          种子材料 001 的评分表（含核定分）
  out/examples/scorecards/*.pdf      示例材料评分表；out/examples/summary.pdf / .csv / .xlsx 为汇总
  out/reports/                       年度报告核查结果
  out/batch/                         批量评分结果（errors.txt 列出两份故意写坏的材料）
  out/workbook/                      Excel 自评表：空白表、用 001 填好的表，及其转回的 YAML
正式启动内网网站：.venv/bin/scoring serve --data 数据文件夹（见 README“考核办内网填报网站”）
示例材料中的数据矛盾和缺少数据会使相应命令返回非零退出码，这是预期的提示，不是程序错误。
MSG
