#!/usr/bin/env bash
# Rolls a new version out to a fleet made by create-fleet.sh: creates the instance template ${CLUSTER}-${VERSION}
# with the current settings and scripts, then starts a rolling replace of every VM (MAX_SURGE new VMs at a time,
# at most MAX_UNAVAILABLE missing; each old VM gets the shutdown window to leave the cluster).
#   VERSION=v2 deploy/gce/update-fleet.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main() {
  check_settings
  [[ $VERSION != v1 ]] || die "set VERSION to the new version's name (v1 is the first template)"
  create_template
  gcloud compute instance-groups managed rolling-action start-update "$MIG" --project="$PROJECT" --region="$REGION" \
    --version="template=${TEMPLATE}" --max-surge="$MAX_SURGE" --max-unavailable="$MAX_UNAVAILABLE" --min-ready="$MIN_READY" \
    --replacement-method=substitute
  log "rolling out $TEMPLATE: gcloud compute instance-groups managed describe $MIG --region=$REGION --format='value(status.versionTarget)'"
}

main "$@"
