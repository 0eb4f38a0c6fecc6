/**
 * A request that protobufjs cannot decode (a varint or a length cut short,
 * a field of the wrong wire type) makes grpc-js answer INTERNAL, "Error
 * deserializing request": a status that says the server is broken, for a
 * caller's mistake. The peer and admin services are wrapped here so that
 * such a request gets INVALID_ARGUMENT instead, before any handler sees it.
 * (The client API's checked deserializers, checked-requests.ts, do the same
 * and more.) Found by tests/fuzz.test.ts.
 */
import * as grpc from "@grpc/grpc-js";

export const malformedRequestMessage = "the request is not a well-formed protobuf message";

/** Stand-ins returned for requests that did not decode; a handler never sees one. */
const undecodable = new WeakSet<object>();

const refusal: Partial<grpc.StatusObject> = { code: grpc.status.INVALID_ARGUMENT, details: malformedRequestMessage };

// biome-ignore lint/suspicious/noExplicitAny: one wrapper for the handlers of every method shape
type AnyHandler = (call: any, callback?: any) => void;

/** `definition` whose deserializers never throw, and `handlers` that refuse what did not decode. */
export function guardedService<Handlers extends object>(definition: grpc.ServiceDefinition, handlers: Handlers): [grpc.ServiceDefinition, Handlers] {
  const guardedDefinition: Record<string, grpc.MethodDefinition<object, object>> = {};
  const guardedHandlers: Record<string, AnyHandler> = {};
  for (const [name, method] of Object.entries(definition)) {
    guardedDefinition[name] = { ...method, requestDeserialize: (bytes: Buffer) => decodeOrStandIn(method.requestDeserialize, bytes) as object };
    const handler = (handlers as Record<string, AnyHandler>)[name];
    if (!handler) continue;
    guardedHandlers[name] = method.requestStream ? guardStream(handler, method.responseStream) : guardUnary(handler, method.responseStream);
  }
  return [guardedDefinition, guardedHandlers as Handlers];
}

function decodeOrStandIn(deserialize: (bytes: Buffer) => unknown, bytes: Buffer): unknown {
  try {
    return deserialize(bytes);
  } catch {
    const standIn = {};
    undecodable.add(standIn);
    return standIn;
  }
}

/** A unary call is answered INVALID_ARGUMENT; a server stream (one request, many answers) ends with it. */
function guardUnary(handler: AnyHandler, serverStream: boolean): AnyHandler {
  return (call: grpc.ServerWritableStream<object, unknown>, callback?: (error: Partial<grpc.StatusObject>) => void) => {
    if (!undecodable.has(call.request)) handler(call, callback);
    else if (serverStream) call.emit("error", refusal);
    else callback?.(refusal);
  };
}

/**
 * A client or bidi stream: the first message that did not decode ends the
 * call with INVALID_ARGUMENT, and neither it nor any later message reaches
 * the handler (its answer after that is dropped).
 */
function guardStream(handler: AnyHandler, bidi: boolean): AnyHandler {
  return (call: grpc.ServerReadableStream<object, unknown>, callback?: (...args: unknown[]) => void) => {
    let refused = false;
    const emit = call.emit.bind(call);
    call.emit = (event: string | symbol, ...args: unknown[]) => {
      if (event !== "data" || (!refused && !undecodable.has(args[0] as object))) return emit(event, ...args);
      if (!refused) {
        refused = true;
        if (bidi) emit("error", refusal);
        else callback?.(refusal);
      }
      return true;
    };
    if (bidi) handler(call);
    else
      handler(call, (...args: unknown[]) => {
        if (!refused) callback?.(...args);
      });
  };
}
