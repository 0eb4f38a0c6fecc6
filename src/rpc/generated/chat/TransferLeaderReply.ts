// Original file: proto/chat.proto


export interface TransferLeaderReply {
  'leaderId'?: (number);
  'leaderAddress'?: (string);
}

export interface TransferLeaderReply__Output {
  'leaderId': (number);
  'leaderAddress': (string);
}
