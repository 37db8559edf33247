#!/usr/bin/env bash
# Run the first working Python $1 (on PATH, then among pyenv's versions) with the other arguments.
set -uo pipefail
version=$1; shift
candidates=("python$version")
if command -v pyenv >/dev/null 2>&1; then
  for v in $(pyenv versions --bare 2>/dev/null | grep -E "^${version//./\\.}\.[0-9]+$" | sort -rV); do
    candidates+=("$(pyenv root)/versions/$v/bin/python$version")
  done
fi
for candidate in "${candidates[@]}"; do
  if "$candidate" --version >/dev/null 2>&1; then
    exec "$candidate" "$@"
  fi
done
echo "Python $version is needed (Rasa 3.6 runs on Python 3.8-3.10): install it, e.g. 'pyenv install $version'." >&2
exit 1
