#!/usr/bin/env bash
# Runs one experiment on every worker of a Cloud TPU VM pod: the same `python main.py` command on each host.
# jax.distributed.initialize() finds the other hosts by itself on TPU VMs (config.distributed.initialize=auto).
#
#   tools/launch_tpu_pod.sh TPU_NAME ZONE CONFIG WORKDIR [extra main.py flags...]
#
# Environment knobs (defaults in brackets):
#   DRY_RUN=1        print the gcloud commands instead of running them [0]
#   SYNC=0           skip copying this checkout to the workers [1]
#   INSTALL=0        skip `pip install -e .[tpu]` on the workers [1]
#   DETACH=1         start training under nohup (log in REMOTE_DIR/train.log) and return at once [0]
#   REMOTE_DIR       where the checkout lives on every worker [midalign-jax, relative to the worker's home]
#   PROJECT          Google Cloud project passed as --project [gcloud's default]
#   PYTHON           interpreter on the workers [python3]
#
# WORKDIR must be one directory that every host sees (a gcsfuse-mounted bucket or a Filestore/NFS mount), because
# each host writes its own shards of every checkpoint there. Rerun the same command to resume after preemption.
set -euo pipefail

usage() {
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[[ $# -ge 4 ]] || usage
TPU_NAME=$1 ZONE=$2 CONFIG=$3 WORKDIR=$4
shift 4
EXTRA=("$@")

DRY_RUN=${DRY_RUN:-0}
SYNC=${SYNC:-1}
INSTALL=${INSTALL:-1}
DETACH=${DETACH:-0}
REMOTE_DIR=${REMOTE_DIR:-midalign-jax}
PYTHON=${PYTHON:-python3}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [[ "$WORKDIR" == *://* ]]; then
  echo "error: WORKDIR=$WORKDIR is a URL; the training code writes through the local filesystem API." >&2
  echo "Mount the bucket on every worker (gcsfuse) and pass the mount path, e.g. /mnt/gcs/midalign/run1." >&2
  exit 2
fi
# The config path is relative to the checkout (as on the workers); `file.py:arg` config arguments are allowed.
if [[ ! -f "$REPO/${CONFIG%%:*}" ]]; then
  echo "error: config file ${CONFIG%%:*} not found under $REPO (give it relative to the repository root)" >&2
  exit 2
fi

GCLOUD=(gcloud compute tpus tpu-vm)
COMMON=(--zone="$ZONE")
if [[ -n "${PROJECT:-}" ]]; then
  COMMON+=(--project="$PROJECT")
fi

# Shell-quotes one word, leaving plain words (flags, paths, a,b lists) readable.
quote() {
  if [[ "$1" =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
    printf '%s' "$1"
  else
    printf "'%s'" "${1//\'/\'\\\'\'}"
  fi
}

quote_all() {
  local out=() w
  for w in "$@"; do out+=("$(quote "$w")"); done
  printf '%s' "${out[*]}"
}

run() {
  if [[ "$DRY_RUN" == 1 ]]; then
    quote_all "$@"
    printf '\n'
  else
    "$@"
  fi
}

if [[ "$SYNC" == 1 ]]; then
  # Tracked and untracked-but-not-ignored files: local edits travel, virtualenvs and outputs do not.
  TARBALL=$(mktemp -t midalign-src.XXXXXX)
  trap 'rm -f "$TARBALL"' EXIT
  if [[ "$DRY_RUN" != 1 ]]; then
    (cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
      tar -czf "$TARBALL" --ignore-failed-read --null -T -)
  fi
  run "${GCLOUD[@]}" scp "$TARBALL" "$TPU_NAME:midalign-src.tgz" "${COMMON[@]}" --worker=all
  run "${GCLOUD[@]}" ssh "$TPU_NAME" "${COMMON[@]}" --worker=all \
    --command="mkdir -p $(quote "$REMOTE_DIR") && tar -xzf midalign-src.tgz -C $(quote "$REMOTE_DIR")"
fi

if [[ "$INSTALL" == 1 ]]; then
  run "${GCLOUD[@]}" ssh "$TPU_NAME" "${COMMON[@]}" --worker=all \
    --command="cd $(quote "$REMOTE_DIR") && $PYTHON -m pip install -q -e \".[tpu]\""
fi

TRAIN=$(quote_all "$PYTHON" main.py --config="$CONFIG" --workdir="$WORKDIR" --host_malloc=system "${EXTRA[@]}")
if [[ "$DETACH" == 1 ]]; then
  TRAIN="nohup $TRAIN > train.log 2>&1 < /dev/null &"
fi
run "${GCLOUD[@]}" ssh "$TPU_NAME" "${COMMON[@]}" --worker=all \
  --command="cd $(quote "$REMOTE_DIR") && $TRAIN"
