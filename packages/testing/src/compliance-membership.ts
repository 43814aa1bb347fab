export { membershipCompliance, type MembershipComplianceSetup } from "./compliance/membership.js";
