// Original file: proto/chat.proto


export interface DeleteMessagesReply {
  'deleted'?: (number);
}

export interface DeleteMessagesReply__Output {
  'deleted': (number);
}
