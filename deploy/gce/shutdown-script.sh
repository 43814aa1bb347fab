#!/bin/bash
# cachecluster shutdown script for Compute Engine (instance metadata key `shutdown-script`).
# The guest agent runs it when the VM stops: deleted by the MIG (rolling update, scale-in, autohealing),
# stopped, or preempted (Spot: 30 s from the notice to the power-off). It stops the workers with SIGTERM
# while the network is still up: each leaves the membership, so peers move its keys at once instead of
# waiting for failure detection, finishes the requests in flight and exits. systemd sends SIGKILL to a worker
# still running after the unit's TimeoutStopSec, and GCE powers the VM off when its shutdown time is over.
set -uo pipefail

log() { echo "cachecluster-shutdown: $*"; }

# The same function as in startup-script.sh (each script is a metadata value of its own, so each carries it).
# metadata_host DMI_PRODUCT_FILE: where the metadata server is. GCE_METADATA_HOST when set (the fleet simulator sets it
# to its fake GCE; the Google client libraries honour it too); else the real server, but only on a Compute Engine
# VM, which its DMI product name says: off GCE this fails instead of asking whatever answers to that name.
metadata_host() {
  if [[ -n ${GCE_METADATA_HOST:-} ]]; then
    echo "$GCE_METADATA_HOST"
  elif [[ $(cat "$1" 2>/dev/null) == "Google Compute Engine" ]]; then
    echo metadata.google.internal
  else
    echo "not a Compute Engine VM and GCE_METADATA_HOST is unset: no metadata server to ask" >&2
    return 1
  fi
}

# The workers are stopped whatever the metadata server says: it only tells whether this is a preemption.
preempted=unknown
if host=$(metadata_host /sys/class/dmi/id/product_name); then
  preempted=$(curl --silent --fail --max-time 2 -H "Metadata-Flavor: Google" "http://${host}/computeMetadata/v1/instance/preempted" || echo unknown)
fi
started=$SECONDS
log "stopping the cachecluster workers (preempted: ${preempted})"
systemctl stop 'cachecluster@*.service' || log "systemctl stop failed"
log "workers stopped after $((SECONDS - started)) s"
