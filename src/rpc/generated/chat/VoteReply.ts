// Original file: proto/chat.proto

import type { Long } from '@grpc/proto-loader';

export interface VoteReply {
  'from'?: (number);
  'to'?: (number);
  'term'?: (number | string | Long);
  'granted'?: (boolean);
  'preVote'?: (boolean);
}

export interface VoteReply__Output {
  'from': (number);
  'to': (number);
  'term': (number);
  'granted': (boolean);
  'preVote': (boolean);
}
