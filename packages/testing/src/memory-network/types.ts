/*
 * Structural copies of `@cachecluster/membership-swim`'s network interfaces (testing must not depend on
 * plugin packages); TypeScript checks the shapes where the two meet.
 */
export interface NetworkHandlers {
  packet(data: Uint8Array, from: string): void;
  stream(conn: StreamConnection): void;
}

export interface NetworkSocket {
  readonly host: string;
  readonly port: number;
  sendPacket(to: string, data: Uint8Array): void;
  dial(to: string, timeoutMs: number): Promise<StreamConnection>;
  close(): Promise<void>;
}

export interface StreamHandlers {
  data(chunk: Uint8Array): void;
  end(error?: Error): void;
}

export interface StreamConnection {
  readonly remote: string;
  setHandlers(handlers: StreamHandlers): void;
  write(data: Uint8Array): void;
  close(): void;
}

export interface SwimNetworkLike {
  bind(host: string, port: number, handlers: NetworkHandlers): Promise<NetworkSocket>;
}
