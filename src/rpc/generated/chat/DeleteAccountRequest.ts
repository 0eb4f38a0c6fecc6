// Original file: proto/chat.proto


export interface DeleteAccountRequest {
  'password'?: (string);
}

export interface DeleteAccountRequest__Output {
  'password': (string);
}
