import { z } from "zod";

/** The shapes of GCE names, as the Compute API documents them. */

export const projectId = z.string().regex(/^(?:[a-z][-a-z0-9.]*:)?[a-z][-a-z0-9]{4,28}[a-z0-9]$/, { error: "expected a project ID such as my-project-123" });
export const zoneName = z.string().regex(/^[a-z]+-[a-z]+\d+-[a-z]$/, { error: "expected a zone name such as us-central1-b" });
export const regionName = z.string().regex(/^[a-z]+-[a-z]+\d+$/, { error: "expected a region name such as us-central1" });
export const networkTag = z
  .string()
  .regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, { error: "expected a network tag (lower-case letters, digits, dashes; 1-63 characters)" });
export const labelKey = z.string().regex(/^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u, {
  error: "expected a label key (lower-case letter first, then lower-case letters, digits, _ or -; at most 63)",
});
export const labelValue = z
  .string()
  .regex(/^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u, { error: "expected a label value (lower-case letters, digits, _ or -; at most 63)" });
