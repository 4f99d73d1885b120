#!/usr/bin/env bash
# Build the llama-cpp-python wheel once per machine and keep it, so later setups install it in seconds.
# llama-cpp-python ships only a source distribution on PyPI: compiling llama.cpp takes ~3.5 min on 2
# cores. -DGGML_NATIVE=OFF builds for a generic x86-64, so the cached wheel works on any machine of the
# same kind. Prints the wheel's path on stdout. Usage: scripts/llama_wheel.sh [PYTHON]
set -euo pipefail
version=0.3.36
python=${1:-python3}
dir=${PLURALBENCH_WHEELS:-$HOME/.cache/pluralbench/wheels}
mkdir -p "$dir"
# A ctypes binding: the wheel is tagged py3-none-linux_x86_64, whatever the Python version.
existing=$(ls "$dir"/llama_cpp_python-"$version"-*.whl 2>/dev/null | head -n1 || true)
if [ -n "$existing" ]; then
  echo "$existing"
  exit 0
fi
echo "setup: building llama-cpp-python $version once for this machine (~4 min; kept in $dir) ..." >&2
tmp=$(mktemp -d "$dir/.build-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
CMAKE_ARGS="-DGGML_NATIVE=OFF" CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
  "$python" -m pip wheel --quiet --disable-pip-version-check --no-deps -w "$tmp" "llama-cpp-python==$version" >&2
built=$(ls "$tmp"/llama_cpp_python-*.whl)
mv "$built" "$dir/"   # same filesystem: atomic, so a concurrent or killed build never leaves half a wheel
echo "$dir/$(basename "$built")"
