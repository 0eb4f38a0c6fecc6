/** Calls to the gateway's API: one JSON object in, one out; a failure becomes a PageError holding the gateway's sentence. */
import type { Api, ApiError, ApiName } from "../protocol.ts";

export class PageError extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
    this.name = "PageError";
  }
}

export async function call<Name extends ApiName>(name: Name, request: Api[Name]["request"]): Promise<Api[Name]["reply"]> {
  let response: Response;
  try {
    // The session cookie goes along by itself; no token is ever in page scripts.
    response = await fetch(`/api/${name}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(request) });
  } catch {
    throw new PageError({ code: "GATEWAY_UNREACHABLE", message: "The gateway did not answer. Is `npm run web` still running?" });
  }
  const body = (await response.json().catch(() => null)) as { error?: ApiError } | null;
  if (!response.ok) {
    throw new PageError(body?.error ?? { code: `HTTP_${response.status}`, message: `The gateway answered ${response.status} ${response.statusText}.` });
  }
  return body as Api[Name]["reply"];
}
