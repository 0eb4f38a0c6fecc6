// Original file: proto/chat.proto

import type { Long } from '@grpc/proto-loader';

export interface VoteRequest {
  'from'?: (number);
  'to'?: (number);
  'term'?: (number | string | Long);
  'lastLogIndex'?: (number | string | Long);
  'lastLogTerm'?: (number | string | Long);
  'preVote'?: (boolean);
  'transfer'?: (boolean);
}

export interface VoteRequest__Output {
  'from': (number);
  'to': (number);
  'term': (number);
  'lastLogIndex': (number);
  'lastLogTerm': (number);
  'preVote': (boolean);
  'transfer': (boolean);
}
