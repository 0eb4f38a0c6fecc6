// Original file: proto/chat.proto


export interface DeleteAccountReply {
}

export interface DeleteAccountReply__Output {
}
