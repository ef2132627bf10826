#!/usr/bin/env bash
# The product image, built with podman from the Dockerfile with the model
# scripts/model.sh trained baked in, tagged as the manifests expect:
#   socialcare:<project version>-<model version>
#
#   scripts/image.sh [build] [--base IMAGE] [--ca-bundle FILE] [--index-url URL]
#   scripts/image.sh tag                   the tag the current tree builds
#   scripts/image.sh push REGISTRY/NAME    push it there, print the reference to pin
#   scripts/image.sh podman ARGS...        podman with this script's configuration
#
# Everything is cached outside the clone, in ~/.cache/socialcare/image: podman's
# store (layers, images) and the local base image. A build whose inputs (Dockerfile,
# code, docs, model, base) did not change since the last one says "up to date" and
# returns at once.
#
# --base: the Dockerfile's base. By default python:3.11.14-slim-bookworm when a
# registry serves it, else a Debian bookworm made here with debootstrap (about a
# minute, once), on which the build installs Debian's Python 3.11.
# --ca-bundle: a CA bundle pip trusts inside the build (a package index behind a
# TLS-inspecting proxy); by default pip's own `cert` setting on this machine.
# --index-url: a PyPI mirror; by default pip's own `index-url` setting here.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cache="${XDG_CACHE_HOME:-$HOME/.cache}/socialcare/image"
model=.models/socialcare-classifier
registry_base=docker.io/library/python:3.11.14-slim-bookworm
export CONTAINERS_CONF="$root/deploy/podman/containers.conf"

say() { echo "[image] $*"; }
pod() { podman --root "$cache/storage" --runroot "$cache/run" "$@"; }
elapsed() { echo "$(($(date +%s) - $1)) s"; }

need_tools() {
  local missing=()
  for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  [ ${#missing[@]} = 0 ] && return
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing ${missing[*]} (Debian packages)"
    local install=(apt-get install --yes --quiet podman runc debootstrap)
    DEBIAN_FRONTEND=noninteractive "${install[@]}" >/dev/null ||
      { apt-get update --quiet >/dev/null && DEBIAN_FRONTEND=noninteractive "${install[@]}" >/dev/null; } &&
      return
  fi
  # A status of its own: the image tests skip on it, and on nothing else.
  say "needs ${missing[*]}: install Debian's podman, runc and debootstrap" >&2
  exit 3
}

project_version() {
  sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml | head -n 1
}

# The tag of the image this tree builds: the version of the model its corpus and
# training configuration give (whether or not it is trained yet).
image_tag() {
  local version
  version=$(.venv/bin/python -c 'from socialcare.classify.served import served_version
from socialcare.classify.settings import ClassifySettings
print(served_version(ClassifySettings()))')
  echo "$(project_version)-$version"
}

# A Debian bookworm root filesystem from Debian's archive, as a local image; its
# name carries a hash of how it is made, so a change of recipe makes a new one.
local_base() {
  local mirror=http://deb.debian.org/debian
  local recipe="debootstrap --variant=minbase bookworm $mirror; updates; security"
  local key
  key=$(echo "$recipe" | sha256sum | cut -c1-12)
  local name="localhost/socialcare-base:bookworm-$key"
  if pod image exists "$name"; then echo "$name" && return; fi
  local start tree
  start=$(date +%s)
  tree=$(mktemp -d "$cache/rootfs.XXXXXX")
  say "making the local base $name (debootstrap bookworm, about a minute)" >&2
  debootstrap --variant=minbase bookworm "$tree" "$mirror" >"$cache/debootstrap.log" 2>&1 || {
    tail -n 20 "$cache/debootstrap.log" >&2
    exit 1
  }
  cat >"$tree/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
  rm -rf "$tree"/var/cache/apt/archives/*.deb "$tree"/var/lib/apt/lists/*
  tar -C "$tree" -c . | pod import --quiet --message "$recipe" - "$name" >/dev/null
  rm -rf "$tree"
  say "local base ready ($(elapsed "$start"))" >&2
  echo "$name"
}

choose_base() {
  if [ -n "$base" ]; then echo "$base" && return; fi
  if pod image exists "$registry_base" ||
    timeout 120 pod pull --quiet "$registry_base" >/dev/null 2>&1; then
    echo "$registry_base" && return
  fi
  say "no registry serves $registry_base: using a local Debian base" >&2
  local_base
}

# A hash of everything the image is made of: what the Dockerfile copies from the
# build context, the model files it bakes in, the Dockerfile and the base.
inputs_hash() {
  {
    echo "$1"
    cat Dockerfile .dockerignore
    find pyproject.toml README.md socialcare services docs -type f \
      -not -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha256sum
    (cd "$model" && sha256sum VERSION labels.json calibration.json tokenizer.json model.int8.onnx)
  } | sha256sum | cut -c1-16
}

# podman's build log, one line per Dockerfile step with the time since the start.
show_steps() {
  local start=$1 line
  while IFS= read -r line; do
    echo "$line" >>"$cache/build.log"
    case "$line" in
    \[*STEP* | STEP* | *"Using cache"*) echo "[image] +$(($(date +%s) - start))s ${line:0:110}" ;;
    esac
  done
}

build() {
  need_tools
  mkdir -p "$cache"
  local start tag name chosen hash
  start=$(date +%s)
  # The model of this tree, trained or restored when the one in .models is stale.
  scripts/model.sh | sed 's/^/[image] /'
  tag="$(project_version)-$(tr -d '[:space:]' <"$model/VERSION")"
  name="localhost/socialcare:$tag"
  chosen=$(choose_base)
  hash=$(inputs_hash "$chosen")
  if [ "$(pod image inspect --format '{{index .Labels "socialcare.inputs"}}' "$name" 2>/dev/null)" = "$hash" ]; then
    say "socialcare:$tag is up to date (inputs $hash, $(elapsed "$start"))"
    return
  fi
  say "building socialcare:$tag on $chosen (log: $cache/build.log)"
  local options=(--network=host --layers --build-arg "PYTHON_IMAGE=$chosen")
  options+=(--build-context "model=$model" --label "socialcare.inputs=$hash")
  options+=(--label "org.opencontainers.image.version=$tag")
  if [ -n "$ca_bundle" ]; then
    options+=(--volume "$(realpath "$ca_bundle"):/run/pip-ca.crt:ro" --build-arg PIP_CERT=/run/pip-ca.crt)
  fi
  [ -z "$index_url" ] || options+=(--build-arg "PIP_INDEX_URL=$index_url")
  : >"$cache/build.log"
  pod build "${options[@]}" --tag "$name" --file Dockerfile . 2>&1 | show_steps "$start" || {
    tail -n 30 "$cache/build.log" >&2
    exit 1
  }
  pod image prune --force >/dev/null
  say "built socialcare:$tag in $(elapsed "$start"), $(pod image inspect --format '{{.Size}}' "$name" | numfmt --to=iec) "
}

push() {
  local dest=${1:?usage: scripts/image.sh push REGISTRY/NAME} tag
  tag=$(image_tag)
  pod push --digestfile "$cache/digest" "localhost/socialcare:$tag" "$dest:$tag"
  say "pushed $dest:$tag; pin it: kustomize edit set image socialcare=$dest@$(cat "$cache/digest")"
}

pip_setting() { .venv/bin/python -m pip config get "global.$1" 2>/dev/null || true; }

base=""
ca_bundle="${PIP_CERT:-}"
index_url="${PIP_INDEX_URL:-}"
command=${1:-build}
[ $# = 0 ] || shift
case "$command" in
build)
  while [ $# -gt 0 ]; do
    case "$1" in
    --base) base=$2 && shift 2 ;;
    --ca-bundle) ca_bundle=$2 && shift 2 ;;
    --index-url) index_url=$2 && shift 2 ;;
    *) echo "unknown option $1" >&2 && exit 2 ;;
    esac
  done
  [ -n "$ca_bundle" ] || ca_bundle=$(pip_setting cert)
  [ -n "$index_url" ] || index_url=$(pip_setting index-url)
  build
  ;;
tag) image_tag ;;
push) push "$@" ;;
podman) pod "$@" ;;
*) echo "usage: scripts/image.sh [build|tag|push REGISTRY/NAME|podman ARGS...]" >&2 && exit 2 ;;
esac
