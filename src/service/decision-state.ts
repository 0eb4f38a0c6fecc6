/**
 * The state one write decision reads: the service's queries, with the
 * session read once. The caller's identity and the rules both ask for the
 * session of the same token within one turn, and the second query found
 * nothing new (a point SELECT per write on the leader's hot path).
 */
import type { ChatQueries, ChatState, SessionRow } from "../projections/queries.ts";

export function decisionState(queries: ChatQueries): ChatState {
  let sessionRead: { tokenHash: string; row: SessionRow | null } | null = null;
  return {
    account: (username) => queries.account(username),
    message: (id) => queries.message(id),
    clientWindow: (clientId) => queries.clientWindow(clientId),
    session: (tokenHash) => {
      if (sessionRead?.tokenHash !== tokenHash) sessionRead = { tokenHash, row: queries.session(tokenHash) };
      return sessionRead.row;
    },
  };
}
