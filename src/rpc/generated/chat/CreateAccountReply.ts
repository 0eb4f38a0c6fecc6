// Original file: proto/chat.proto


export interface CreateAccountReply {
  'username'?: (string);
}

export interface CreateAccountReply__Output {
  'username': (string);
}
