#!/bin/bash
# cachecluster shutdown script for Compute Engine (instance metadata key `shutdown-script`).
# The guest agent runs it when the VM stops: deleted by the MIG (rolling update, scale-in, autohealing),
# stopped, or preempted (Spot: 30 s from the notice to the power-off). It stops the workers with SIGTERM
# while the network is still up: each leaves the membership, so peers move its keys at once instead of
# waiting for failure detection, finishes the requests in flight and exits. systemd sends SIGKILL to a worker
# still running after the unit's TimeoutStopSec, and GCE powers the VM off when its shutdown time is over.
set -uo pipefail

readonly METADATA_URL="http://${GCE_METADATA_HOST:-metadata.google.internal}/computeMetadata/v1"

log() { echo "cachecluster-shutdown: $*"; }

preempted=$(curl --silent --fail --max-time 2 -H "Metadata-Flavor: Google" "${METADATA_URL}/instance/preempted" || echo unknown)
started=$SECONDS
log "stopping the cachecluster workers (preempted: ${preempted})"
systemctl stop 'cachecluster@*.service' || log "systemctl stop failed"
log "workers stopped after $((SECONDS - started)) s"
