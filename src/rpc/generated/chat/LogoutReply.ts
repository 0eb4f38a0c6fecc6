// Original file: proto/chat.proto


export interface LogoutReply {
}

export interface LogoutReply__Output {
}
