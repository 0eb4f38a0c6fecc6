// Original file: proto/chat.proto

import type { Long } from '@grpc/proto-loader';

export interface ReplicateReply {
  'from'?: (number);
  'to'?: (number);
  'term'?: (number | string | Long);
  'success'?: (boolean);
  'matchIndex'?: (number | string | Long);
  'rejectedIndex'?: (number | string | Long);
  'conflictIndex'?: (number | string | Long);
  'conflictTerm'?: (number | string | Long);
  'heartbeatRound'?: (number | string | Long);
}

export interface ReplicateReply__Output {
  'from': (number);
  'to': (number);
  'term': (number);
  'success': (boolean);
  'matchIndex': (number);
  'rejectedIndex': (number);
  'conflictIndex': (number);
  'conflictTerm': (number);
  'heartbeatRound': (number);
}
