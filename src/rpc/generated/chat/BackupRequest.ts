// Original file: proto/chat.proto


export interface BackupRequest {
}

export interface BackupRequest__Output {
}
