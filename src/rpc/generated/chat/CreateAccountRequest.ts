// Original file: proto/chat.proto


export interface CreateAccountRequest {
  'username'?: (string);
  'password'?: (string);
}

export interface CreateAccountRequest__Output {
  'username': (string);
  'password': (string);
}
