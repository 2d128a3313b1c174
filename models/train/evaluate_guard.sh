#!/usr/bin/env bash
# Rebuilds the detector card from files, through the SDK: attacked test set and clean source variants (Python),
# calibration of the default manifest on clean validation images (cadguard-calibrate), evaluation of the test set
# (cadguard-eval), figures and card (guard_report.mjs).
#
#   bash models/train/evaluate_guard.sh
#   LIMIT=N (attack the first N test images), SOURCES_LIMIT=N (source variants of N test images),
#   SQUARE_QUERIES=N (default 200) trade completeness for time on a small machine; the card records the command.
#
# Derived images are research-only data: they stay in $CADGUARD_EVAL_DIR (default /tmp/cadguard-guard-eval).
# Folders already there are reused (set REBUILD=1 after the classifier changes: the attacks target it).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${CADGUARD_EVAL_DIR:-/tmp/cadguard-guard-eval}
PY=/usr/bin/python3
LIMIT_ARG=${LIMIT:+--limit $LIMIT}
SOURCES_LIMIT_ARG=${SOURCES_LIMIT:+--limit $SOURCES_LIMIT}
SQUARE_QUERIES=${SQUARE_QUERIES:-200}
CALIBRATION_SOURCES=archived-16bit,ffdm-12bit-lownoise,ffdm-14bit-processed,film-8bit-jpeg90
mkdir -p "$OUT"

echo "== 1/5 clean calibration images: validation split through $CALIBRATION_SOURCES"
[ -f "$OUT/calibration/labels.csv" ] && [ -z "${REBUILD:-}" ] || \
  $PY models/train/make_source_variants.py --split val --out "$OUT/calibration" --sources "$CALIBRATION_SOURCES"

echo "== 2/5 calibrating models/manifest.json on them"
npm run build --silent
node bin/cadguard-calibrate.mjs --images "$OUT/calibration" --labels "$OUT/calibration/labels.csv" \
  --manifest models/manifest.json --out models/manifest.json --backend wasm --report "$OUT/calibration-report.json"
npm run build --silent

echo "== 3/5 attacked test set (and its 8-bit delivery), clean test images of every simulated source"
[ -f "$OUT/test/labels.csv" ] && [ -z "${REBUILD:-}" ] || $PY models/train/make_attacked_set.py --split test --out "$OUT/test" $LIMIT_ARG --square-queries "$SQUARE_QUERIES"
# A folder made before a GAN family existed gets it added (the other families' files stay as they are).
for family in gan_removal gan_grain_removal; do
  grep -q ",$family," "$OUT/test/labels.csv" || \
    $PY models/train/make_attacked_set.py --split test --out "$OUT/test" $LIMIT_ARG --families $family --add
done
[ -f "$OUT/sources/labels.csv" ] && [ -z "${REBUILD:-}" ] || \
  $PY models/train/make_source_variants.py --split test --out "$OUT/sources" --seed 12 $SOURCES_LIMIT_ARG

$PY models/train/requantise_set.py --in "$OUT/test" --out "$OUT/test-8bit"

echo "== 4/5 the SDK on the three folders (cadguard-eval, WASM)"
node bin/cadguard-eval.mjs --images "$OUT/test" --labels "$OUT/test/labels.csv" --out "$OUT/test-results.json" --backend wasm
node bin/cadguard-eval.mjs --images "$OUT/test-8bit" --labels "$OUT/test-8bit/labels.csv" --out "$OUT/test-8bit-results.json" --backend wasm
node bin/cadguard-eval.mjs --images "$OUT/sources" --labels "$OUT/sources/labels.csv" --out "$OUT/sources-results.json" --backend wasm

echo "== 5/5 adaptive attacks (on the whole guard, on the content detector), plain noise over PGD, figures and card"
rm -rf "$OUT/adaptive"
$PY models/train/adaptive_attack.py --limit "${ADAPTIVE_LIMIT:-10}" --steps 10 --out "$OUT/adaptive"
node bin/cadguard-eval.mjs --images "$OUT/adaptive" --labels "$OUT/adaptive/labels.csv" --out "$OUT/adaptive-results.json" --backend wasm
rm -rf "$OUT/adaptive-content"
$PY models/train/adaptive_content_attack.py --test "$OUT/test" --out "$OUT/adaptive-content" --steps 20
node bin/cadguard-eval.mjs --images "$OUT/adaptive-content" --labels "$OUT/adaptive-content/labels.csv" --out "$OUT/adaptive-content-results.json" --backend wasm
rm -rf "$OUT/noise-masking"
$PY models/train/noise_masking_probe.py --write "$OUT/noise-masking" --from "$OUT/test"
node bin/cadguard-eval.mjs --images "$OUT/noise-masking" --labels "$OUT/noise-masking/labels.csv" --out "$OUT/noise-masking-results.json" --backend wasm
node models/train/guard_report.mjs --test-results "$OUT/test-results.json" --test-labels "$OUT/test/labels.csv" \
  --sources-results "$OUT/sources-results.json" --sources-labels "$OUT/sources/labels.csv" \
  --requantised-results "$OUT/test-8bit-results.json" --requantised-labels "$OUT/test-8bit/labels.csv" \
  --adaptive-results "$OUT/adaptive-results.json" --adaptive-labels "$OUT/adaptive/labels.csv" \
  --content-adaptive-results "$OUT/adaptive-content-results.json" --content-adaptive-labels "$OUT/adaptive-content/labels.csv" \
  --noise-masking-results "$OUT/noise-masking-results.json" --noise-masking-labels "$OUT/noise-masking/labels.csv" \
  --command "${LIMIT:+LIMIT=$LIMIT }${SOURCES_LIMIT:+SOURCES_LIMIT=$SOURCES_LIMIT }${SQUARE_QUERIES:+SQUARE_QUERIES=$SQUARE_QUERIES }bash models/train/evaluate_guard.sh"
