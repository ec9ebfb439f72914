#!/usr/bin/env bash
# Run on a leased GPU machine (Python 3.12 with JAX and CUDA, no TensorFlow, no Keras, no network), in the
# copy of the checkout, with what .ci/gpu/stage.py staged in .carry/ carried along; files come back from $OUT.
#   bash .ci/gpu/device.sh part              keep the CIFAR piece this call carried (.carry/part*) in /tmp;
#                                            once all are there, materialize the data sets into data/
#   bash .ci/gpu/device.sh bench [ARGS]      benchmarks/throughput.py ARGS under JAX; its results file to $OUT
#   bash .ci/gpu/device.sh train MODULE MINUTES [ARGS]
#                                            python -m spectral_lib.repro.MODULE --time-limit MINUTES ARGS under
#                                            JAX, one process per --run NAME of ARGS, side by side on the GPU,
#                                            each with its share of the GPU's memory; what they wrote in
#                                            results/ (progress, records, models) to $OUT/results.tgz, the run
#                                            folders they wrote in (checkpoints) to $OUT/runs.tgz.aa, .ab, ...
#                                            (15 MB each), their output to $OUT/train.log; a first train call
#                                            unpacks .carry/runs.tgz.*
# bench and train need SPECTRAL_CNN_COMMIT, the commit of the tree sent (send a clean one): their records
# name it, not whatever git finds in the copy. /tmp and data/ last while the machine is warm (30 s after a
# call): issue the calls back to back.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${OUT:?OUT must name the folder whose files come back}"
PYTHON=${PYTHON:-python3}
SITE=${SITE:-/tmp/site}
export KERAS_BACKEND=jax PYTHONUNBUFFERED=1 SPECTRAL_CNN_RUNS=${SPECTRAL_CNN_RUNS:-/tmp/runs}

packages() {  # Keras, namex and optree from the carried wheels (once per machine), this checkout's package
    : "${SPECTRAL_CNN_COMMIT:?SPECTRAL_CNN_COMMIT must name the commit of the tree sent}"
    export SPECTRAL_CNN_COMMIT GIT_DIR=/nonexistent  # store.code_version: no git, so the commit given
    [ -d "$SITE" ] || "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$SITE" .carry/whl/*.whl
    export PYTHONPATH="$PWD:$SITE"
}

case "${1:-}" in
part)
    compgen -G ".carry/part*/cifar.tar.*" >/dev/null || { echo "part: no CIFAR piece carried (carry .carry/partK)" >&2; exit 2; }
    mkdir -p /tmp/cifar-pieces
    cp .carry/part*/cifar.tar.* /tmp/cifar-pieces/
    "$PYTHON" - <<'PY'
import json, pathlib, subprocess, sys, tarfile
pieces = sorted(pathlib.Path("/tmp/cifar-pieces").glob("cifar.tar.*-of-*"))
count = int(pieces[0].name.rsplit("-of-", 1)[1])
print(f"CIFAR pieces here: {len(pieces)} of {count}", flush=True)
if len(pieces) == count:
    here = pathlib.Path("/tmp/cifar")
    with open("/tmp/cifar.tar", "wb") as whole:
        for piece in pieces:
            whole.write(piece.read_bytes())
    with tarfile.open("/tmp/cifar.tar") as tar:
        tar.extractall(here, filter="data")
    entries = json.loads((here / "manifest.json").read_text())["files"]
    for folder in dict.fromkeys(e["path"].split("/")[0] for e in entries):
        mine = [e for e in entries if e["path"].startswith(folder + "/")]
        if all((here / (e.get("stored") or e["skeleton"])).exists() for e in mine):
            subprocess.run([sys.executable, str(here / "materialize.py"), "data", "--only", folder], check=True)
PY
    ;;
bench)
    shift
    packages
    "$PYTHON" benchmarks/throughput.py "$@" 2>&1 | tee "$OUT/bench.log"
    cp results/benchmark_throughput.json "$OUT/"
    ;;
train)
    module=${2:?train needs MODULE (table4b, fig5, search)} minutes=${3:?train needs MINUTES}
    shift 3
    packages
    if [ ! -d "$SPECTRAL_CNN_RUNS" ] && compgen -G ".carry/runs.tgz.*" >/dev/null; then
        mkdir -p "$SPECTRAL_CNN_RUNS" && cat .carry/runs.tgz.* | tar xzf - -C "$SPECTRAL_CNN_RUNS"
    fi
    common=() names=()
    while [ $# -gt 0 ]; do
        if [ "$1" = --run ]; then names+=("${2:?--run needs a NAME}"); shift 2; else common+=("$1"); shift; fi
    done
    [ ${#names[@]} -gt 0 ] || names=("")  # no --run: the plan in one process
    [ ${#names[@]} -gt 1 ] && export XLA_PYTHON_CLIENT_MEM_FRACTION=$("$PYTHON" -c "print(0.9 / ${#names[@]})")
    touch /tmp/train.stamp
    pids=()
    for i in "${!names[@]}"; do
        "$PYTHON" -m "spectral_lib.repro.$module" --time-limit "$minutes" "${common[@]}" ${names[$i]:+--run "${names[$i]}"} \
            >"/tmp/train.$i.log" 2>&1 &
        pids+=($!)
    done
    status=0
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}" || status=$?
        { echo "== ${names[$i]:-the plan}"; cat "/tmp/train.$i.log"; } >>"$OUT/train.log"
    done
    cat "$OUT/train.log"
    # what it wrote in the checkout: run records and progress in results/, other outputs of a profile but
    # the reference one in runs/<profile>/
    find results $([ -d runs ] && echo runs) -type f -newer /tmp/train.stamp -print0 | tar czf "$OUT/results.tgz" --null -T -
    # the run folders this call wrote in (PROFILE/EXPERIMENT/RUN), not those it only carried
    touched=$(cd "$SPECTRAL_CNN_RUNS" 2>/dev/null && find . -mindepth 4 -newer /tmp/train.stamp -type f | cut -d/ -f2-4 | sort -u)
    if [ -n "$touched" ]; then
        tar czf - -C "$SPECTRAL_CNN_RUNS" $touched | split -b 15m - "$OUT/runs.tgz."
    fi
    exit "$status"
    ;;
*)
    sed -n '2,16p' "$0"
    exit 2
    ;;
esac
