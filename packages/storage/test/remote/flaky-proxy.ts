import { createConnection, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP proxy on 127.0.0.1 in front of sqld that can lose an answer. Once armed, the next request
 * a client sends goes through, but everything the server sends back for `holdMs` is swallowed
 * and then both connections are cut: the server has executed (and committed) the request while
 * the client only sees a broken connection — the ambiguous failure that a retry must not turn
 * into a duplicate.
 */
export class FlakyProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #armed: { holdMs: number; onCut: () => void; when: (request: string) => boolean } | null = null;
  port = 0;

  private constructor(upstreamPort: number) {
    this.#server = createServer((client) => {
      const upstream = createConnection({ host: "127.0.0.1", port: upstreamPort });
      this.#sockets.add(client);
      this.#sockets.add(upstream);
      let swallowing = false;
      const cut = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("data", (chunk) => {
        upstream.write(chunk);
        const armed = this.#armed;
        if (armed !== null && !swallowing && armed.when(chunk.toString("latin1"))) {
          this.#armed = null;
          swallowing = true;
          setTimeout(() => {
            cut();
            armed.onCut();
          }, armed.holdMs);
        }
      });
      upstream.on("data", (chunk) => {
        if (!swallowing) client.write(chunk);
      });
      for (const socket of [client, upstream]) {
        socket.on("error", cut);
        socket.on("close", () => {
          this.#sockets.delete(socket);
          cut();
        });
      }
    });
  }

  static async start(upstreamPort: number): Promise<FlakyProxy> {
    const proxy = new FlakyProxy(upstreamPort);
    await new Promise<void>((resolve) => proxy.#server.listen(0, "127.0.0.1", resolve));
    const address = proxy.#server.address();
    proxy.port = typeof address === "object" && address !== null ? address.port : 0;
    return proxy;
  }

  url(protocol: "http" | "ws"): string {
    return `${protocol}://127.0.0.1:${this.port}`;
  }

  /**
   * Lose the answer to the next request (or the next one whose bytes satisfy `when`); resolves
   * once its connection has been cut.
   */
  loseNextAnswer(holdMs = 300, when: (request: string) => boolean = () => true): Promise<void> {
    return new Promise((resolve) => {
      this.#armed = { holdMs, onCut: resolve, when };
    });
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
