// Original file: proto/chat.proto


export interface LoginRequest {
  'username'?: (string);
  'password'?: (string);
  'sessionSecret'?: (string);
}

export interface LoginRequest__Output {
  'username': (string);
  'password': (string);
  'sessionSecret': (string);
}
