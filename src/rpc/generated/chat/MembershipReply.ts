// Original file: proto/chat.proto

import type { ReplicaInfo as _chat_ReplicaInfo, ReplicaInfo__Output as _chat_ReplicaInfo__Output } from '../chat/ReplicaInfo';

export interface MembershipReply {
  'voters'?: (_chat_ReplicaInfo)[];
  'learners'?: (_chat_ReplicaInfo)[];
}

export interface MembershipReply__Output {
  'voters': (_chat_ReplicaInfo__Output)[];
  'learners': (_chat_ReplicaInfo__Output)[];
}
