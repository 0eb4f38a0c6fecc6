// Original file: proto/chat.proto


export interface TimeoutNowReply {
}

export interface TimeoutNowReply__Output {
}
