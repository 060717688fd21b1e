#!/usr/bin/env bash
# The whole test suite. The container tests need Podman from Debian's packages, the dashboard tests Debian's
# Chromium, the shell completion tests zsh and fish; they are installed here when missing (as root, as CI
# runs). The C# whitespace is checked against .editorconfig first. Extra arguments go to dotnet test.
set -euo pipefail
cd "$(dirname "$0")"
need=()
for tool in podman runc podman-compose debootstrap chromium zsh fish; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || need+=("$tool")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} for the container, dashboard and shell completion tests (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "${need[@]}" >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null; }
fi
# The house style (.editorconfig): C# whitespace as dotnet format would write it.
dotnet restore Chainlab.sln --verbosity quiet
dotnet format whitespace Chainlab.sln --verify-no-changes --no-restore \
  || { echo "whitespace differs from .editorconfig: run 'dotnet format whitespace Chainlab.sln'" >&2; exit 1; }
exec dotnet test Chainlab.sln "$@"
