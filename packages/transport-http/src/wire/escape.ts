const encoder = new TextEncoder();
// ignoreBOM: a key may start with U+FEFF; the default decoder would drop it and serve another key.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const HEX = "0123456789ABCDEF";

/** Bytes Go's `url.QueryEscape` leaves as they are: `A-Z a-z 0-9 - _ . ~`. */
const UNRESERVED = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9\-_.~]/.test(ch)) UNRESERVED[c] = 1;
}

/**
 * Escapes one path segment (a group name or a key) for `/_groupcache/{group}/{key}`.
 *
 * Go's `url.QueryEscape` byte for byte (UTF-8; unpaired surrogates become U+FFFD as in `TextEncoder`),
 * except that a space is written `%20` rather than `+`: golang/groupcache's server decodes the path with
 * path semantics, where `+` stays a literal plus, so Go's own `+` makes a Go server load `a+b` for the key
 * `a b`. `%20` means a space to every server (Go, mailgun/groupcache, ours).
 */
export function escapeSegment(text: string): string {
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || UNRESERVED[c] !== 1) {
      ascii = false;
      break;
    }
  }
  if (ascii) return text;
  let out = "";
  for (const b of encoder.encode(text)) {
    if (b < 128 && UNRESERVED[b] === 1) out += String.fromCharCode(b);
    else out += `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

/** Go's `url.QueryEscape` exactly (space → `+`), for reference and tests. */
export function queryEscape(text: string): string {
  return escapeSegment(text).replaceAll("%20", "+");
}

/**
 * Decodes a path segment written by `url.QueryEscape` (Go peers: space as `+`) or by `escapeSegment`
 * (space as `%20`): `+` is a space, `%XX` a byte, and the bytes must be UTF-8. Undefined when the escapes or
 * the UTF-8 are malformed.
 */
export function unescapeSegment(text: string): string | undefined {
  if (!text.includes("%") && !text.includes("+")) return text;
  const bytes = new Uint8Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 /* % */) {
      const hi = hexValue(text.charCodeAt(i + 1));
      const lo = hexValue(text.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return undefined;
      bytes[n++] = (hi << 4) | lo;
      i += 2;
    } else if (c === 0x2b /* + */) {
      bytes[n++] = 0x20;
    } else if (c < 256) {
      // node:http gives the request target as latin1: one char per byte (raw non-ASCII bytes included).
      bytes[n++] = c;
    } else {
      return undefined;
    }
  }
  try {
    return decoder.decode(bytes.subarray(0, n));
  } catch {
    return undefined;
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}
