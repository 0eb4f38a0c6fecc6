/**
 * The chaos clients' transport: the real gRPC transport of the client
 * library, with every replica address turned into the fault proxy this
 * client dials for it (redirects and GetLeaderInfo name real addresses),
 * and two things the history needs: whether a write attempt went
 * unanswered (it may have been applied, so a later refusal of its retry is
 * no definite failure), and each stream's opening with its after_id.
 */
import { GrpcChatTransport } from "../client/grpc-transport.ts";
import type { CallMetadata, ChatTransport, Reply, Request, StreamCall, StreamEvents, StreamStart, UnaryName } from "../client/transport.ts";
import { ChatClientError } from "../client/transport.ts";
import { definiteFailureCodes } from "../check/history.ts";

export class ChaosTransport implements ChatTransport {
  private readonly grpc = new GrpcChatTransport();
  /** Write attempts that ended without a definite answer (deadline, lost connection, UNAVAILABLE): they may have been applied. */
  unansweredWrites = 0;
  /** Runs as a stream's response headers arrive, with the after_id it asked for. */
  onStreamStart: (afterId: number, start: StreamStart) => void = () => {};

  constructor(private readonly route: (address: string) => string) {}

  async call<Name extends UnaryName>(address: string, method: Name, request: Request<Name>, metadata: CallMetadata, deadlineMs: number): Promise<Reply<Name>> {
    try {
      return await this.grpc.call(this.route(address), method, request, metadata, deadlineMs);
    } catch (error) {
      // Even "not the leader" can come from a leader deposed after it appended the write: only a definite refusal settles it.
      const definite = error instanceof ChatClientError && (definiteFailureCodes as readonly string[]).includes(error.code);
      if (metadata.write && !definite) this.unansweredWrites += 1;
      throw error;
    }
  }

  subscribe(address: string, afterId: number, metadata: CallMetadata, events: StreamEvents): StreamCall {
    const notify = this.onStreamStart; // the follow() that opens this stream, even if a newer one starts meanwhile
    return this.grpc.subscribe(this.route(address), afterId, metadata, {
      ...events,
      start: (start) => {
        notify(afterId, start);
        events.start(start);
      },
    });
  }

  close(): void {
    this.grpc.close();
  }
}
