/**
 * Client requests are checked on their raw bytes, before protobufjs decodes
 * them, for two reasons.
 *
 * Size. The largest valid request of the client API is a few kilobytes
 * (`clientRequestBytesMax`); only the peer API needs megabytes, so the
 * server's own limit is the peer API's. Decoding megabytes of protobuf (a
 * MarkRead of a million ids) holds the thread that runs the consensus clock
 * for most of a second, long enough to depose a leader, so a larger client
 * request is refused with RESOURCE_EXHAUSTED without being decoded.
 *
 * Text. Text fields must be valid UTF-8, as proto3 requires of `string`
 * fields (https://protobuf.dev/programming-guides/proto3/#scalar).
 * @grpc/proto-loader decodes them with protobufjs, which replaces every
 * invalid sequence with U+FFFD: the bytes ff x8 and fe x8 both arrive as
 * eight U+FFFD, one password for two secrets. The decoded text cannot tell a
 * replaced byte from a U+FFFD the client sent, so the check walks the
 * message's wire format (https://protobuf.dev/programming-guides/encoding/)
 * and decodes every `string` field with a fatal UTF-8 decoder first.
 *
 * A deserializer that throws makes grpc-js answer INTERNAL, so it records
 * the verdict beside the request instead, and the handler refuses it
 * (`checkRequest`) with the verdict's status.
 */
import type * as grpc from "@grpc/grpc-js";
import type { MethodDefinition, ServiceDefinition } from "@grpc/proto-loader";
import { ChatError } from "../projections/operations.ts";

/** What proto-loader keeps of a message's fields (a google.protobuf.DescriptorProto). */
interface MessageDescriptor {
  name: string;
  field: { name: string; number: number; type: string }[];
}

/** The verdict on each request seen by a checking deserializer: null, or why it is refused. */
const verdicts = new WeakMap<object, ChatError | null>();

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const malformedMessage = "the request is not a well-formed protobuf message";

/**
 * `definition` with deserializers that refuse a request over `bytesMax`
 * undecoded and check every `string` field of the others for valid UTF-8.
 * Request types are flat (no message fields): a nested message would need
 * the walk to recurse, so one is refused here.
 */
export function checkedRequests(definition: ServiceDefinition, bytesMax: number): grpc.ServiceDefinition {
  return Object.fromEntries(Object.entries(definition).map(([name, method]) => [name, checkingMethod(name, method, bytesMax)]));
}

function checkingMethod(name: string, method: MethodDefinition<object, object>, bytesMax: number): MethodDefinition<object, object> {
  const descriptor = method.requestType.type as MessageDescriptor;
  if (descriptor.field.some((field) => field.type === "TYPE_MESSAGE")) {
    throw new Error(`${descriptor.name} has a message field: the check of src/rpc/checked-requests.ts reads flat requests only`);
  }
  const stringFields = new Map(descriptor.field.filter((field) => field.type === "TYPE_STRING").map((field) => [field.number, field.name]));
  return {
    ...method,
    requestDeserialize: (bytes: Buffer) => {
      if (bytes.length > bytesMax) {
        return refusedRequest(
          new ChatError("RESOURCE_EXHAUSTED", `a ${name} request of ${bytes.length} bytes is over the ${bytesMax} bytes any valid one needs`),
        );
      }
      // Walked first: protobufjs throws on a cut varint or length, and a throw here is INTERNAL to the caller.
      const problem = textFieldProblem(bytes, stringFields);
      if (problem !== null) return refusedRequest(new ChatError("INVALID_ARGUMENT", problem));
      let request: object;
      try {
        request = method.requestDeserialize(bytes);
      } catch {
        return refusedRequest(new ChatError("INVALID_ARGUMENT", malformedMessage)); // a field of the wrong wire type, say
      }
      verdicts.set(request, null);
      return request;
    },
  };
}

/** A stand-in for a request refused undecoded: its handler throws the verdict. */
function refusedRequest(verdict: ChatError): object {
  const refused = {};
  verdicts.set(refused, verdict);
  return refused;
}

/** Throws the verdict on a request: RESOURCE_EXHAUSTED when too large, INVALID_ARGUMENT when its text is not UTF-8. */
export function checkRequest(request: object): void {
  const verdict = verdicts.get(request);
  if (verdict === undefined) throw new Error("a request reached its handler unchecked: register the service with checkedRequests");
  if (verdict !== null) throw verdict;
}

/** Why the encoded message is refused, or null. Anything the walk cannot read (groups, a cut field) is refused too, so no field escapes it. */
function textFieldProblem(bytes: Uint8Array, stringFields: ReadonlyMap<number, string>): string | null {
  const malformed = malformedMessage;
  let at = 0;
  while (at < bytes.length) {
    const key = readVarint(bytes, at);
    if (!key) return malformed;
    at = key.next;
    const wireType = key.value % 8;
    if (wireType === 0) {
      const value = readVarint(bytes, at);
      if (!value) return malformed;
      at = value.next;
    } else if (wireType === 1 || wireType === 5) {
      at += wireType === 1 ? 8 : 4;
    } else if (wireType === 2) {
      const length = readVarint(bytes, at);
      if (!length || length.next + length.value > bytes.length) return malformed;
      const name = stringFields.get(Math.floor(key.value / 8));
      if (name !== undefined && !isUtf8(bytes.subarray(length.next, length.next + length.value))) return `${name} is not valid UTF-8`;
      at = length.next + length.value;
    } else {
      return malformed; // groups (3, 4) are proto2 only; 6 and 7 do not exist
    }
  }
  return at === bytes.length ? null : malformed;
}

/** A base-128 varint of at most 10 bytes (numbers past 2^53 lose precision, which no length or field number reaches). */
function readVarint(bytes: Uint8Array, start: number): { value: number; next: number } | null {
  let value = 0;
  let scale = 1;
  for (let at = start; at < bytes.length && at < start + 10; at++) {
    const byte = bytes[at]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return { value, next: at + 1 };
    scale *= 0x80;
  }
  return null;
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
