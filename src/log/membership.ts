/**
 * The cluster's membership as the log records it: voters elect and commit,
 * learners only receive the log. Config entries carry it as JSON.
 */
export interface Member {
  id: number;
  address: string;
}

export interface Membership {
  voters: Member[];
  learners: Member[];
}

export function parseMembership(json: string): Membership {
  const value = JSON.parse(json) as Partial<Membership>;
  if (!Array.isArray(value.voters) || !Array.isArray(value.learners)) throw new Error("not a membership");
  return { voters: value.voters, learners: value.learners };
}
