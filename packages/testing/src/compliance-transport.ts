export { transportCompliance, RecordingPeerHandler, awkwardKeys, type TransportComplianceSetup } from "./compliance/transport.js";
