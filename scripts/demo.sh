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

step "完成"
cat <<'MSG'
评分表和汇总表在 out/ 文件夹中：
  out/001-otqq-zjj-2017.pdf          种子材料 001 的评分表（含核定分）
  out/examples/scorecards/*.pdf      示例材料评分表；out/examples/summary.pdf / .csv / .xlsx 为汇总
  out/reports/                       年度报告核查结果
  out/batch/                         批量评分结果（errors.txt 列出两份故意写坏的材料）
示例材料中的数据矛盾和缺少数据会使相应命令返回非零退出码，这是预期的提示，不是程序错误。
MSG
