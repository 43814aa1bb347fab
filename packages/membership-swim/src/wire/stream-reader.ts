import { DecodeError } from "@cachecluster/core";
import { MAX_PUSH_STATE_BYTES, MessageType, type PushNodeState, type PushPullHeader } from "./messages.js";
import { Truncated } from "./msgpack.js";
import { Reader } from "./msgpack-reader.js";
import { tryReadStreamMessage, type DecodeStreamOptions, type StreamReadResult } from "./stream.js";
import { pushNodeStateSpec, pushPullHeaderSpec } from "./structs.js";

/** Bytes a stream may carry beyond maxStreamBytes for its framing (encryption header, compress envelope). */
export const STREAM_FRAMING_SLACK = 64 * 1024;

/**
 * Reads one message from a stream fed chunk by chunk, in time linear in its size: bytes are appended to a
 * buffer that doubles; no parse is tried before the bytes a previous attempt was missing have arrived (an
 * encrypted frame or a compressed message is parsed once, when whole), and a plain push/pull resumes after
 * the node states it already decoded. Use one reader per message. `push` returns `{ done: false }` until
 * the message is whole; DecodeError when it can never be, or when the stream sends more than
 * maxStreamBytes (plus framing) without completing one.
 */
export class StreamReader {
  readonly #options: DecodeStreamOptions;
  readonly #max: number;
  #buf = new Uint8Array(4096);
  #length = 0;
  /** No parse is attempted before this many bytes are buffered. */
  #needed = 1;
  /** A plain push/pull in progress: its header, the states decoded so far, where the next one starts. */
  #pushPull: { header: PushPullHeader; states: PushNodeState[]; pos: number } | undefined;
  #done = false;
  /** Bytes looked at by parse attempts so far (a measure of the work done). */
  scannedBytes = 0;

  constructor(options: DecodeStreamOptions = {}) {
    this.#options = options;
    this.#max = options.maxStreamBytes ?? MAX_PUSH_STATE_BYTES;
  }

  /** Bytes received so far (a message's `consumed` counts from the first of them). */
  get buffered(): Uint8Array {
    return this.#buf.subarray(0, this.#length);
  }

  push(chunk: Uint8Array): StreamReadResult {
    if (this.#done) throw new DecodeError("stream reader already returned its message");
    if (this.#length + chunk.length > this.#max + STREAM_FRAMING_SLACK) {
      this.#done = true;
      throw new DecodeError(`stream sent more than ${this.#max + STREAM_FRAMING_SLACK} bytes without a whole message`);
    }
    this.#append(chunk);
    if (this.#length < this.#needed) return { done: false };
    try {
      const buf = this.buffered;
      const plain = this.#options.keyring === undefined || !(this.#options.verifyIncoming ?? true);
      if (buf[0] === MessageType.PushPull && plain) return this.#plainPushPull(buf);
      this.scannedBytes += buf.length;
      const result = tryReadStreamMessage(buf, this.#options);
      if (result.done) {
        this.#done = true;
        return result;
      }
      this.#wait("needed" in result ? result.needed : 0);
      return { done: false };
    } catch (err) {
      this.#done = true;
      throw err;
    }
  }

  /** No parse before `needed` bytes (at least one more than now); a message that can never fit is an error. */
  #wait(needed: number): void {
    if (needed > this.#max + STREAM_FRAMING_SLACK) throw new DecodeError(`stream message is larger than limit (${this.#max} bytes)`);
    this.#needed = Math.max(this.#length + 1, needed);
  }

  #plainPushPull(buf: Uint8Array): StreamReadResult {
    const reader = new Reader(buf, 1);
    try {
      if (this.#pushPull === undefined) {
        this.scannedBytes += buf.length;
        const header = reader.struct<PushPullHeader>(pushPullHeaderSpec);
        if (header.Nodes < 0 || header.Nodes > this.#max) throw new DecodeError(`push/pull header announces ${header.Nodes} nodes`);
        if (header.UserStateLen > this.#max) throw new DecodeError(`push/pull user state is larger than limit (${header.UserStateLen} > ${this.#max} bytes)`);
        this.#pushPull = { header, states: [], pos: reader.pos };
      }
      const progress = this.#pushPull;
      reader.pos = progress.pos;
      while (progress.states.length < progress.header.Nodes) {
        const start = reader.pos;
        const state = reader.struct<PushNodeState>(pushNodeStateSpec);
        this.scannedBytes += reader.pos - start;
        progress.states.push(state);
        progress.pos = reader.pos;
      }
      const userLength = Math.max(0, progress.header.UserStateLen);
      if (progress.pos + userLength > buf.length) throw new Truncated("push/pull user state", progress.pos + userLength);
      this.#done = true;
      return {
        done: true,
        message: {
          type: MessageType.PushPull,
          body: { join: progress.header.Join, states: progress.states, userState: buf.slice(progress.pos, progress.pos + userLength) },
        },
        consumed: progress.pos + userLength,
      };
    } catch (err) {
      if (!(err instanceof Truncated)) throw err;
      if (buf.length > this.#max) throw new DecodeError(`stream message is larger than limit (${this.#max} bytes)`, { cause: err });
      this.#wait(err.needed);
      return { done: false };
    }
  }

  #append(chunk: Uint8Array): void {
    if (this.#length + chunk.length > this.#buf.length) {
      let size = this.#buf.length * 2;
      while (size < this.#length + chunk.length) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.#buf.subarray(0, this.#length));
      this.#buf = next;
    }
    this.#buf.set(chunk, this.#length);
    this.#length += chunk.length;
  }
}
