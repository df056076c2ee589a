#!/usr/bin/env bash
# SEAL (TenSEAL 0.3.18) next to `quantumacy bench ckks`: creates a venv under target/, installs tenseal, builds the
# release CLI and prints both columns with ratios. Arguments go to benches/ckks_seal.py (default: compare).
#   bash benches/ckks_seal.sh                 # table, 20 reps
#   bash benches/ckks_seal.sh compare --json  # JSON
#   bash benches/ckks_seal.sh seal --reps 30  # SEAL only
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${CKKS_SEAL_VENV:-$root/target/seal-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import tenseal' 2>/dev/null; then
    "$venv/bin/pip" install --quiet tenseal==0.3.18
fi
export OMP_NUM_THREADS=1
cd "$root"
if [ "${1:-compare}" = compare ]; then
    cargo build --release --locked -p quantumacy-cli --quiet
fi
[ $# -eq 0 ] && set -- compare
exec "$venv/bin/python" benches/ckks_seal.py "$@"
