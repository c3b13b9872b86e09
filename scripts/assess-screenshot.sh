#!/bin/sh
# Renders the Shopify Plus example assessment (with a scan of the scanner's corpus) and takes a
# full-page screenshot in headless Chromium, to look at the HTML report as a reader would.
#
#   scripts/assess-screenshot.sh [OUT_DIR]      (default: target/assess-screenshot)
#
# Needs Debian's chromium package (`apt-get install chromium`).
set -eu
cd "$(dirname "$0")/.."
out="${1:-target/assess-screenshot}"
mkdir -p "$out"

cargo build --release --locked -p phiguard
bin=target/release/phiguard
inventory=crates/phiguard-inventory/examples/shopify-plus-pharmacy.toml

"$bin" scan crates/phiguard-scan/tests/corpus/plain --inventory "$inventory" --format json \
    --output "$out/scan.json" || [ $? -eq 1 ]
"$bin" assess --inventory "$inventory" --scan "$out/scan.json" --out "$out/report.html" \
    --dot "$out/flows.dot" --fail-on never

chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,2400 \
    --screenshot="$out/report.png" "file://$(pwd)/$out/report.html" 2>/dev/null
echo "report: $out/report.html"
echo "screenshot: $out/report.png"
