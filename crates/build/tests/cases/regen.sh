#!/usr/bin/env bash
# Rewrites expected.yaml / expected-error.txt of every case (or those named) with
# `kubectl kustomize` (kubectl v1.32, kustomize v5.5.0). Run from anywhere.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
names=("$@")
[ ${#names[@]} -eq 0 ] && names=($(ls -d */ | tr -d /))
for name in "${names[@]}"; do
  dir="$name"
  [ -f "$name/build.txt" ] && dir="$name/$(tr -d '[:space:]' < "$name/build.txt")"
  rm -f "$name/expected.yaml" "$name/expected-error.txt"
  if kubectl kustomize "$dir" >"$name/.stdout" 2>"$name/.stderr"; then
    mv "$name/.stdout" "$name/expected.yaml"
    rm -f "$name/.stderr"
  else
    rm -f "$name/.stdout"
    grep -v '^# Warning' "$name/.stderr" | sed "s#$here/$name#\$CASE#g" > "$name/expected-error.txt"
    rm -f "$name/.stderr"
  fi
  echo "$name: $(ls "$name" | grep -c expected)"
done
