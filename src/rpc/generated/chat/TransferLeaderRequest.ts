// Original file: proto/chat.proto


export interface TransferLeaderRequest {
  'id'?: (number);
}

export interface TransferLeaderRequest__Output {
  'id': (number);
}
